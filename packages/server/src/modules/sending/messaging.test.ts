import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bearer } from '../../../test/app.ts';
import { createSimWorld, type SimWorld } from '../../../test/sim-world.ts';
import { accounts, messages, userAccounts } from '../../db/schema/index.ts';
import { jobs } from '../../jobs/registry.ts';

describe('reading and answering conversations', () => {
  let w: SimWorld;
  beforeAll(async () => {
    w = await createSimWorld();
  });
  afterAll(async () => w.close());

  const get = (url: string, token: string) => w.t.app.inject({ method: 'GET', url, headers: bearer(token) });
  const post = (url: string, token: string, payload: unknown, headers: Record<string, string> = {}) =>
    w.t.app.inject({ method: 'POST', url, headers: { ...bearer(token), ...headers }, payload: payload as object });
  const send = (conversationId: string, payload: unknown, token = w.tokens.admin, headers: Record<string, string> = {}) =>
    post(`/api/v1/ui/conversations/${conversationId}/messages`, token, payload, headers);
  const deliverSends = () => w.drainSends();

  it('lists conversations with the contact, last message, unread count and an open window', async () => {
    const c = await w.customerWrites('Do you ship to Lisbon?');
    const res = await get('/api/v1/ui/conversations', w.tokens.viewer);
    expect(res.statusCode).toBe(200);
    const item = res.json().conversations.find((x: { id: string }) => x.id === c.conversationId);
    expect(item).toMatchObject({
      contact: { igsid: c.igsid },
      last_message: { preview: 'Do you ship to Lisbon?', direction: 'inbound' },
      unread_count: 1,
      needs_reply: true,
      window: { state: 'open' },
    });
    const read = await post(`/api/v1/ui/conversations/${c.conversationId}/read`, w.tokens.viewer, {});
    expect(read.json()).toMatchObject({ unread_count: 0 });
  });

  it('pages conversations by last activity and filters unread and by search', async () => {
    await w.customerWrites('first');
    await w.customerWrites('second');
    const page1 = (await get('/api/v1/ui/conversations?limit=1', w.tokens.viewer)).json();
    expect(page1.conversations).toHaveLength(1);
    expect(page1.next_cursor).toBeTruthy();
    const page2 = (await get(`/api/v1/ui/conversations?limit=1&cursor=${page1.next_cursor}`, w.tokens.viewer)).json();
    expect(page2.conversations[0].id).not.toBe(page1.conversations[0].id);
    const byText = (await get('/api/v1/ui/conversations?q=LISBON', w.tokens.viewer)).json();
    expect(byText.conversations.map((x: { last_message: { preview: string } }) => x.last_message.preview)).toEqual(['Do you ship to Lisbon?']);
    const unread = (await get('/api/v1/ui/conversations?filter=unread', w.tokens.viewer)).json();
    expect(unread.conversations.every((x: { unread_count: number }) => x.unread_count > 0)).toBe(true);
  });

  it('sends a text: queued, then sent with Meta’s message id, and the echo does not duplicate it', async () => {
    const c = await w.customerWrites('Can I pay on delivery?');
    const res = await send(c.conversationId, { text: 'Yes, you can.' });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ status: 'queued', direction: 'outbound', author: { type: 'user', name: 'teammate' } });
    await deliverSends();
    const list = (await get(`/api/v1/ui/conversations/${c.conversationId}/messages`, w.tokens.viewer)).json();
    expect(list.messages.map((m: { text: string; status: string }) => [m.text, m.status])).toEqual([
      ['Yes, you can.', 'sent'],
      ['Can I pay on delivery?', 'received'],
    ]);
    const outbox = await w.control.outbox({ recipientId: c.igsid });
    expect(outbox.map((o) => o.body.message)).toEqual([{ text: 'Yes, you can.' }]);
    expect(list.messages[0].mid).toBe(outbox[0]?.mid);
  });

  it('sends a message whose earlier one settled while it was waiting its turn, without waiting for the sweeper', async () => {
    const c = await w.customerWrites('Two questions');
    const first = (await send(c.conversationId, { text: 'First answer' })).json() as { id: string };
    const second = (await send(c.conversationId, { text: 'Second answer' })).json() as { id: string };
    // The first is being sent elsewhere: its job skips it, the second's job finds it earlier and leaves the second queued.
    await w.t.database.db.update(messages).set({ status: 'sending' }).where(eq(messages.id, first.id));
    await w.t.queue.runPending(jobs.messagesSend);
    // The second's turn is tried again (a later job). The first settles (and finds no queued follower: the second still says `sending`) just before the second is put
    // back to `queued`.
    const db = w.t.database.db;
    const original = db.transaction.bind(db);
    const spy = vi.spyOn(db, 'transaction').mockImplementationOnce(async (fn, config) => {
      await db.update(messages).set({ status: 'sent' }).where(eq(messages.id, first.id));
      return original(fn, config);
    });
    await w.t.services.sendJob.run(second.id);
    spy.mockRestore();
    await deliverSends();
    const [row] = await db.select({ status: messages.status }).from(messages).where(eq(messages.id, second.id));
    expect(row?.status).toBe('sent');
    const outbox = await w.control.outbox({ recipientId: c.igsid });
    expect(outbox.map((o) => o.body.message)).toEqual([{ text: 'Second answer' }]);
  });

  it('hands the turn over again when the job of a sent message is retried after the hand-over failed', async () => {
    const c = await w.customerWrites('Two more questions');
    const first = (await send(c.conversationId, { text: 'First reply' })).json() as { id: string };
    const second = (await send(c.conversationId, { text: 'Second reply' })).json() as { id: string };
    const db = w.t.database.db;
    // The second's job runs while the first is being sent elsewhere: the second waits, queued, for the first's hand-over.
    await db.update(messages).set({ status: 'sending' }).where(eq(messages.id, first.id));
    await w.t.queue.runPending(jobs.messagesSend);
    await db.update(messages).set({ status: 'queued' }).where(eq(messages.id, first.id));
    // The first is sent, then handing the turn over fails (the queue insert meets a database error): its job fails.
    const handOver = vi.spyOn(w.t.queue, 'enqueue').mockRejectedValueOnce(new Error('timeout exceeded when trying to connect'));
    await expect(w.t.services.sendJob.run(first.id)).rejects.toThrow('timeout exceeded');
    handOver.mockRestore();
    // Its retry finds the first sent and hands the turn over again.
    await w.t.services.sendJob.run(first.id);
    await deliverSends();
    const rows = await db.select({ id: messages.id, status: messages.status }).from(messages).where(eq(messages.conversationId, c.conversationId));
    expect(rows.find((r) => r.id === second.id)?.status).toBe('sent');
    const outbox = await w.control.outbox({ recipientId: c.igsid });
    expect(outbox.map((o) => o.body.message)).toEqual([{ text: 'First reply' }, { text: 'Second reply' }]);
  });

  it('checks the 1000-byte limit in bytes: 1001 bytes refused, 1000 bytes of emoji accepted', async () => {
    const c = await w.customerWrites();
    const tooLong = await send(c.conversationId, { text: 'a'.repeat(1001) });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json().error.message).toMatch(/1001 bytes.*at most 1000/);
    const emoji = await send(c.conversationId, { text: '😀'.repeat(250) });
    expect(emoji.statusCode).toBe(202);
  });

  it('refuses empty messages, unknown attachment types and URLs that are not http(s)', async () => {
    const c = await w.customerWrites();
    for (const body of [{ text: '   ' }, {}, { attachment: { type: 'sticker', url: 'https://x.example/a.png' } }, { attachment: { type: 'image', url: 'ftp://x.example/a.png' } }, { attachment: { type: 'image', url: 'javascript:alert(1)' } }]) {
      const res = await send(c.conversationId, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.code).toBe('request.invalid');
    }
  });

  it('sends an image by URL, the heart sticker, quick replies and a reply to a message', async () => {
    const c = await w.customerWrites('Show me');
    const [inbound] = (await get(`/api/v1/ui/conversations/${c.conversationId}/messages`, w.tokens.viewer)).json().messages;
    expect((await send(c.conversationId, { attachment: { type: 'image', url: 'https://cdn.example.com/p.jpg' } })).statusCode).toBe(202);
    expect((await send(c.conversationId, { sticker: 'like_heart' })).statusCode).toBe(202);
    expect((await send(c.conversationId, { text: 'Which size?', quick_replies: [{ content_type: 'text', title: 'S', payload: 'S' }, { content_type: 'text', title: 'M', payload: 'M' }] })).statusCode).toBe(202);
    expect((await send(c.conversationId, { text: 'About this', reply_to_message_id: inbound.id })).statusCode).toBe(202);
    await deliverSends();
    const bodies = (await w.control.outbox({ recipientId: c.igsid })).map((o) => o.body);
    expect(bodies).toHaveLength(4);
    expect(bodies[0]).toMatchObject({ message: { attachment: { type: 'image', payload: { url: 'https://cdn.example.com/p.jpg' } } } });
    expect(bodies[1]).toMatchObject({ message: { attachment: { type: 'like_heart' } } });
    expect(bodies[3]).toMatchObject({ reply_to: { mid: c.mid } });
  });

  it('does not let a viewer send, and answers 404 for a conversation of another account', async () => {
    const c = await w.customerWrites();
    const viewer = await send(c.conversationId, { text: 'hi' }, w.tokens.viewer);
    expect(viewer.statusCode).toBe(403);
    const stranger = await send(c.conversationId, { text: 'hi' }, w.tokens.stranger);
    expect(stranger.statusCode).toBe(404);
    expect((await get(`/api/v1/ui/conversations/${c.conversationId}/messages`, w.tokens.stranger)).statusCode).toBe(404);
  });

  it('answers 404 and no messages to a member removed since the session began (the role is read beside the page)', async () => {
    const c = await w.customerWrites();
    const viewer = (await w.t.database.db.select().from(userAccounts).where(eq(userAccounts.accountId, w.accountId))).find(
      (m) => m.role === 'viewer',
    );
    if (!viewer) throw new Error('the world has a viewer');
    await w.t.database.db.delete(userAccounts).where(and(eq(userAccounts.userId, viewer.userId), eq(userAccounts.accountId, w.accountId)));
    try {
      for (const url of [
        `/api/v1/ui/conversations/${c.conversationId}/messages`,
        `/api/v1/ui/conversations/${c.conversationId}/messages?cursor=not-a-cursor`,
        `/api/v1/ui/conversations/${c.conversationId}`,
      ]) {
        const res = await get(url, w.tokens.viewer);
        expect(res.statusCode).toBe(404);
        expect(res.json()).toMatchObject({ error: { code: 'accounts.not_found' } });
        expect(res.body).not.toContain(c.mid);
      }
    } finally {
      await w.t.database.db.insert(userAccounts).values(viewer);
    }
    expect((await get(`/api/v1/ui/conversations/${c.conversationId}/messages`, w.tokens.viewer)).statusCode).toBe(200);
  });

  it('answers a replayed Idempotency-Key with the first result, and 409 when the body differs', async () => {
    const c = await w.customerWrites();
    const key = { 'idempotency-key': `key-${c.igsid}` };
    const first = await send(c.conversationId, { text: 'only once' }, w.tokens.admin, key);
    const again = await send(c.conversationId, { text: 'only once' }, w.tokens.admin, key);
    expect(again.statusCode).toBe(202);
    expect(again.json().id).toBe(first.json().id);
    const other = await send(c.conversationId, { text: 'something else' }, w.tokens.admin, key);
    expect(other.statusCode).toBe(409);
    expect(other.json().error.code).toBe('idempotency.mismatch');
    await deliverSends();
    expect((await w.control.outbox({ recipientId: c.igsid })).filter((o) => o.body.message && JSON.stringify(o.body).includes('only once'))).toHaveLength(1);
  });

  it('lets a CRM read and send with an API key, by conversation or by IGSID, within its scopes', async () => {
    const c = await w.customerWrites('API please');
    const create = (scopes: string[]) =>
      post(`/api/v1/accounts/${w.accountId}/api-keys`, w.tokens.owner, { name: 'crm', scopes }).then((r) => r.json().key as string);
    const readKey = await create(['conversations:read']);
    const sendKey = await create(['messages:send']);
    const list = await w.t.app.inject({ method: 'GET', url: '/api/v1/conversations', headers: { 'x-api-key': readKey } });
    expect(list.statusCode).toBe(200);
    const noScope = await w.t.app.inject({ method: 'POST', url: '/api/v1/messages', headers: { 'x-api-key': readKey }, payload: { conversation_id: c.conversationId, text: 'x' } });
    expect(noScope.statusCode).toBe(403);
    const byIgsid = await w.t.app.inject({ method: 'POST', url: '/api/v1/messages', headers: { 'x-api-key': sendKey }, payload: { recipient_igsid: c.igsid, text: 'From the CRM' } });
    expect(byIgsid.statusCode).toBe(202);
    expect(byIgsid.json().author.type).toBe('api_key');
    await deliverSends();
    expect((await w.control.outbox({ recipientId: c.igsid })).map((o) => o.body.message)).toEqual([{ text: 'From the CRM' }]);
  });

  it('marks a message failed with Meta’s code when the recipient is unavailable, and it can be retried', async () => {
    const c = await w.customerWrites();
    await w.control.injectFault({ type: 'error', code: 551, subcode: 1545041, message: 'This person isn\'t available right now.', match: { method: 'POST', pathIncludes: '/messages' } });
    const sent = await send(c.conversationId, { text: 'are you there?' });
    await deliverSends();
    const [row] = await w.t.database.db.select().from(messages).where(eq(messages.id, sent.json().id));
    expect(row).toMatchObject({ status: 'failed', errorCode: 551, errorSubcode: 1545041 });
    const retry = await post(`/api/v1/ui/conversations/${c.conversationId}/messages/${row?.id}/retry`, w.tokens.admin, {});
    expect(retry.statusCode).toBe(202);
    await deliverSends();
    const [after] = await w.t.database.db.select().from(messages).where(eq(messages.id, sent.json().id));
    expect(after?.status).toBe('sent');
  });

  it('retries a temporary error with back-off and sends once', async () => {
    const c = await w.customerWrites();
    await w.control.injectFault({ type: 'error', code: 2, transient: true, match: { method: 'POST', pathIncludes: '/messages' } });
    const sent = await send(c.conversationId, { text: 'second try' });
    await deliverSends();
    const [after] = await w.t.database.db.select().from(messages).where(eq(messages.id, sent.json().id));
    expect(after).toMatchObject({ status: 'sent', sendAttempts: 2 });
    expect(await w.control.outbox({ recipientId: c.igsid })).toHaveLength(1);
  });

  it('parks the queue when Meta answers 190 and refuses new sends until the account is reconnected', async () => {
    const c = await w.customerWrites();
    await w.control.injectFault({ type: 'error', error: 'tokenExpired', match: { method: 'POST', pathIncludes: '/messages' } }).catch(async () =>
      w.control.injectFault({ type: 'error', code: 190, subcode: 463, match: { method: 'POST', pathIncludes: '/messages' } }),
    );
    const sent = await send(c.conversationId, { text: 'will wait' });
    await deliverSends();
    const [account] = await w.t.database.db.select().from(accounts).where(eq(accounts.id, w.accountId));
    expect(account?.status).toBe('reauth_required');
    const [row] = await w.t.database.db.select().from(messages).where(eq(messages.id, sent.json().id));
    expect(row?.status).toBe('queued');
    const refused = await send(c.conversationId, { text: 'now?' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('accounts.reauth_required');
    await w.t.database.db.update(accounts).set({ status: 'active' }).where(eq(accounts.id, w.accountId));
  });

  it('reacts to a message and sends typing indicators', async () => {
    const c = await w.customerWrites('love it?');
    const [inbound] = (await get(`/api/v1/ui/conversations/${c.conversationId}/messages`, w.tokens.viewer)).json().messages;
    const react = await post(`/api/v1/ui/conversations/${c.conversationId}/messages/${inbound.id}/reactions`, w.tokens.admin, { reaction: 'love' });
    expect(react.statusCode).toBe(200);
    const typing = await post(`/api/v1/ui/conversations/${c.conversationId}/actions`, w.tokens.admin, { action: 'typing_on' });
    expect(typing.statusCode).toBe(200);
    const [withReaction] = (await get(`/api/v1/ui/conversations/${c.conversationId}/messages`, w.tokens.viewer)).json().messages;
    expect(withReaction.reactions).toEqual([{ reactor: 'business', reaction: 'love', emoji: null }]);
    const actions = (await w.control.outbox({ recipientId: c.igsid })).map((o) => o.body.sender_action);
    expect(actions).toEqual(['react', 'typing_on']);
  });
});
