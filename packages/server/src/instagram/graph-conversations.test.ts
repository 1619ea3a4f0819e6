import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { classifyGraphError } from './graph-client.ts';
import { connectedWorld, startSim } from './graph-test-world.ts';
import type { SimHarness } from './graph-test-world.ts';

let h: SimHarness;
let w: Awaited<ReturnType<typeof connectedWorld>>;
beforeEach(async () => {
  h = await startSim();
  // The real limit is 2 calls per second; these tests are about paging, not throttling.
  await h.control.setVariants({ rateLimits: { conversationsPerSecond: 1000 } });
  w = await connectedWorld(h);
});
afterEach(async () => h.close());

describe('listConversations', () => {
  it('pages through every thread with the next cursor, and ends with null', async () => {
    for (const name of ['ann', 'bob', 'cid', 'dee']) {
      const customer = await h.control.createCustomer({ username: name });
      await h.control.sendText(customer.igsid, w.account.igId, `hello from ${name}`);
    }
    const ids: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 10; page += 1) {
      const result = await w.client.listConversations(w.token, { limit: 2, ...(after === undefined ? {} : { after }) });
      expect(result.items.length).toBeLessThanOrEqual(2);
      ids.push(...result.items.map((c) => c.id));
      if (result.nextCursor === null) break;
      after = result.nextCursor;
    }
    const known = (await h.control.conversations(w.account.igId)).map((c) => c.id);
    expect(ids.length).toBe(5);
    expect(new Set(ids)).toEqual(new Set(known));
  });

  it('finds the thread with one person, with its update time', async () => {
    const result = await w.client.listConversations(w.token, { userId: w.customer.igsid });
    expect(result.items).toEqual([{ id: expect.any(String), updatedTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*\+0000$/) }]);
    expect(result.nextCursor).toBeNull();
    expect(result.usage.businessUseCase[0]).toMatchObject({ id: w.account.igId });
  });
});

describe('conversation messages', () => {
  async function threadId() {
    const { items } = await w.client.listConversations(w.token, { userId: w.customer.igsid });
    const id = items[0]?.id;
    if (id === undefined) throw new Error('no thread');
    return id;
  }

  it('lists a thread’s messages with their parties, page by page', async () => {
    for (const text of ['two', 'three', 'four']) await h.control.sendText(w.customer.igsid, w.account.igId, text);
    const id = await threadId();
    const first = await w.client.getConversationMessages(w.token, id, { limit: 3 });
    expect(first.items).toHaveLength(3);
    expect(first.items[0]).toMatchObject({
      id: expect.any(String),
      createdTime: expect.any(String),
      from: { id: w.customer.igsid, username: 'jane' },
      to: [{ id: w.account.igId, username: 'acme_shop' }],
      isUnsupported: false,
    });
    if (first.nextCursor === null) throw new Error('expected a second page');
    const second = await w.client.getConversationMessages(w.token, id, { after: first.nextCursor, limit: 3 });
    expect(second.items).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
    const all = [...first.items, ...second.items].map((m) => m.id);
    expect(all).toContain(w.firstMid);
    expect(new Set(all).size).toBe(4);
  });

  it('reads one message in detail, with its text and attachments', async () => {
    const photo = await h.control.sendAttachment(w.customer.igsid, w.account.igId, 'image', 'https://cdn.example.com/p.jpg');
    const text = await w.client.getMessage(w.token, w.firstMid);
    expect(text).toMatchObject({
      id: w.firstMid,
      text: 'Hi! Is the red one in stock?',
      from: { id: w.customer.igsid, username: 'jane' },
      to: [{ id: w.account.igId, username: 'acme_shop' }],
      attachments: [],
    });
    const image = await w.client.getMessage(w.token, photo.mid);
    expect(image.text).toBeNull();
    expect(image.attachments).toEqual([{ kind: 'image', url: 'https://cdn.example.com/p.jpg', previewUrl: 'https://cdn.example.com/p.jpg' }]);
  });

  it('cannot read a message older than the 20 most recent of its thread', async () => {
    for (let i = 0; i < 20; i += 1) await h.control.sendText(w.customer.igsid, w.account.igId, `message ${i}`);
    const error = await w.client.getMessage(w.token, w.firstMid).catch((e: unknown) => e);
    expect(error).toMatchObject({ failure: 'graph', code: 100 });
    expect(classifyGraphError(error)).toBe('permanent');
  });
});
