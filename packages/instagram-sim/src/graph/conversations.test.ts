import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { graph, startSim, world } from '../../test/harness.ts';
import type { Harness } from '../../test/harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await startSim();
});
afterEach(async () => h.close());

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const dataOf = (body: unknown): Record<string, unknown>[] =>
  isRecord(body) && Array.isArray(body['data']) ? body['data'].filter(isRecord) : [];
const pagingOf = (body: unknown): Record<string, unknown> => (isRecord(body) && isRecord(body['paging']) ? body['paging'] : {});

describe('GET /{version}/me/conversations', () => {
  it('lists conversations newest first as {id, updated_time} with cursor paging', async () => {
    const w = await world(h);
    await h.client.setVariants({ rateLimits: { conversationsPerSecond: 1000 } });
    const others = [await h.client.createCustomer(), await h.client.createCustomer()];
    for (const c of [w.customer, ...others]) {
      await h.client.sendText(c.igsid, w.account.igId, 'hi');
      await h.client.advanceClock({ advanceSeconds: 10 });
    }
    const first = await graph(h.url, '/v25.0/me/conversations?platform=instagram&limit=2', { token: w.token });
    expect(first.status).toBe(200);
    const page1 = dataOf(first.body);
    expect(page1).toHaveLength(2);
    expect(page1[0]).toEqual({ id: expect.any(String), updated_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$/) });
    const paging = pagingOf(first.body);
    expect(paging).toMatchObject({ cursors: { before: expect.any(String), after: expect.any(String) }, next: expect.any(String) });
    const next = new URL(String(paging['next']));
    const second = await graph(h.url, `${next.pathname}${next.search}`, { token: w.token });
    const page2 = dataOf(second.body);
    expect(page2).toHaveLength(1);
    expect(pagingOf(second.body)['next']).toBeUndefined();
    const conversations = await h.client.conversations(w.account.igId);
    const oldest = conversations.find((c) => c.customerId === w.customer.igsid);
    expect(page2[0]?.['id']).toBe(oldest?.id);
  });

  it('finds the conversation with one customer by user_id', async () => {
    const w = await world(h);
    const other = await h.client.createCustomer();
    await h.client.sendText(w.customer.igsid, w.account.igId, 'hi');
    await h.client.sendText(other.igsid, w.account.igId, 'hey');
    const res = await graph(h.url, `/v25.0/me/conversations?platform=instagram&user_id=${other.igsid}`, { token: w.token });
    expect(dataOf(res.body)).toHaveLength(1);
  });

  it('rejects a platform other than instagram', async () => {
    const w = await world(h);
    const res = await graph(h.url, '/v25.0/me/conversations?platform=messenger', { token: w.token });
    expect(res.body).toMatchObject({ error: { code: 100 } });
  });

  it('throttles past 2 calls per second per account with the documented error and usage headers', async () => {
    const w = await world(h);
    await h.client.freezeClock();
    const calls = [];
    for (let i = 0; i < 3; i += 1) calls.push(await graph(h.url, '/v25.0/me/conversations?platform=instagram', { token: w.token }));
    expect(calls.map((c) => c.status)).toEqual([200, 200, 400]);
    expect(calls[2]?.body).toMatchObject({ error: { code: 613, error_subcode: 2534040, is_transient: true } });
    expect(JSON.parse(calls[2]?.headers.get('x-business-use-case-usage') ?? '{}')).toMatchObject({
      [w.account.igId]: [{ type: 'instagram', call_count: 100, estimated_time_to_regain_access: expect.any(Number) }],
    });
    expect(JSON.parse(calls[0]?.headers.get('x-app-usage') ?? '{}')).toEqual({ call_count: 50, total_cputime: 0, total_time: 50 });
    await h.client.advanceClock({ advanceSeconds: 1 });
    expect((await graph(h.url, '/v25.0/me/conversations', { token: w.token })).status).toBe(200);
  });
});

describe('GET /{version}/{conversation_id} and /{version}/{message_id}', () => {
  it('lists the messages of a conversation with from and to', async () => {
    const w = await world(h);
    const { conversationId, mid } = await h.client.sendText(w.customer.igsid, w.account.igId, 'hi');
    const res = await graph(h.url, `/v25.0/${conversationId}?fields=messages{id,created_time,from,to,message}`, { token: w.token });
    expect(res.body).toEqual({
      id: conversationId,
      messages: {
        data: [{ id: mid, created_time: expect.any(String), from: { username: 'jane', id: w.customer.igsid }, to: { data: [{ username: 'acme', id: w.account.igId }] }, message: 'hi' }],
        paging: { cursors: { before: expect.any(String), after: expect.any(String) } },
      },
    });
  });

  it('answers a message in detail', async () => {
    const w = await world(h);
    const { mid } = await h.client.sendAttachment(w.customer.igsid, w.account.igId, 'image', 'https://cdn.test/p.jpg');
    const res = await graph(h.url, `/v25.0/${mid}?fields=id,created_time,from,to,message,attachments`, { token: w.token });
    expect(res.body).toMatchObject({
      id: mid, message: '', from: { id: w.customer.igsid }, attachments: { data: [{ image_data: { url: 'https://cdn.test/p.jpg' } }] },
    });
  });

  it('reads only the 20 most recent messages of a conversation in detail', async () => {
    const w = await world(h);
    await h.client.setVariants({ rateLimits: { conversationsPerSecond: 1000 } });
    const mids: string[] = [];
    for (let i = 0; i < 21; i += 1) {
      mids.push((await h.client.sendText(w.customer.igsid, w.account.igId, `m${i}`)).mid);
      await h.client.advanceClock({ advanceMs: 5 });
    }
    const oldest = await graph(h.url, `/v25.0/${mids[0]}?fields=message`, { token: w.token });
    expect(oldest.status).toBe(400);
    expect(oldest.body).toMatchObject({ error: { code: 100 } });
    const recent = await graph(h.url, `/v25.0/${mids[1]}?fields=message`, { token: w.token });
    expect(recent.body).toEqual({ id: mids[1], message: 'm1' });
  });

  it('does not show another account\'s conversation', async () => {
    const w = await world(h);
    const other = await h.client.createAccount();
    const { conversationId } = await h.client.sendText(w.customer.igsid, other.igId, 'hi');
    expect((await graph(h.url, `/v25.0/${conversationId}?fields=messages`, { token: w.token })).body).toMatchObject({ error: { code: 100, error_subcode: 33 } });
  });
});
