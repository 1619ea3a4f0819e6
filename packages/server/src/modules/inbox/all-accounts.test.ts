import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestApp } from '../../../test/app.ts';
import { createAccount, createUser } from '../../../test/factories.ts';
import { createConversation } from '../../../test/inbox-factories.ts';

describe('the "All accounts" inbox', () => {
  let t: TestApp;
  let token = '';
  let strangerToken = '';
  let shop = '';
  let outlet = '';
  const ids: Record<string, string> = {};
  const base = Date.parse('2026-11-01T12:00:00Z');

  beforeAll(async () => {
    t = await createTestApp();
    const db = t.database.db;
    const me = await createUser(db, { username: 'me', password: 'my-password-1' });
    const stranger = await createUser(db, { username: 'stranger', password: 'stranger-password' });
    shop = (await createAccount(db, { username: 'shop', members: [{ userId: me.id, role: 'owner', isPrimary: true }] })).id;
    outlet = (await createAccount(db, { username: 'outlet', members: [{ userId: me.id, role: 'admin' }] })).id;
    const theirs = (await createAccount(db, { username: 'theirs', members: [{ userId: stranger.id, role: 'owner', isPrimary: true }] })).id;
    // interleaved in time: shop 0, outlet 1, theirs 2, shop 3, outlet 4 (minutes)
    const plan: [string, string, string, number][] = [
      ['s0', shop, 'ana', 0], ['o1', outlet, 'ben', 1], ['t2', theirs, 'cleo', 2], ['s3', shop, 'dora', 3], ['o4', outlet, 'eli', 4],
    ];
    for (const [key, accountId, username, minute] of plan) {
      ids[key] = (await createConversation(db, accountId, { username, at: new Date(base + minute * 60_000), unread: key === 'o1' || key === 's3' ? 2 : 0 })).conversation.id;
    }
    token = (await login(t, 'me', 'my-password-1')).token;
    strangerToken = (await login(t, 'stranger', 'stranger-password')).token;
  });
  afterAll(async () => t.close());

  const list = async (query: string, as = token) => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/ui/conversations?scope=all&${query}`, headers: bearer(as) });
    expect(res.statusCode).toBe(200);
    return res.json<{ conversations: { id: string; account_id: string }[]; next_cursor: string | null }>();
  };
  const name = (id: string) => Object.entries(ids).find(([, v]) => v === id)?.[0];

  it('lists the conversations of every account the person belongs to, newest first, and none of another', async () => {
    const page = await list('');
    expect(page.conversations.map((c) => name(c.id))).toEqual(['o4', 's3', 'o1', 's0']);
    expect(new Set(page.conversations.map((c) => c.account_id))).toEqual(new Set([shop, outlet]));
  });

  it('pages with the cursor across accounts without repeating or skipping', async () => {
    const first = await list('limit=3');
    expect(first.conversations.map((c) => name(c.id))).toEqual(['o4', 's3', 'o1']);
    const second = await list(`limit=3&cursor=${first.next_cursor}`);
    expect(second.conversations.map((c) => name(c.id))).toEqual(['s0']);
    expect(second.next_cursor).toBeNull();
  });

  it('applies the same filters and search', async () => {
    expect((await list('filter=unread')).conversations.map((c) => name(c.id))).toEqual(['s3', 'o1']);
    expect((await list('q=dora')).conversations.map((c) => name(c.id))).toEqual(['s3']);
    expect((await list('q=cleo')).conversations).toEqual([]);
  });

  // Answering one (sent with its own account) is shown end to end in e2e/team.test.ts, with the simulator.
  it('opens and reads a conversation of another of the person\'s accounts', async () => {
    const one = await t.app.inject({ method: 'GET', url: `/api/v1/ui/conversations/${ids.o4}`, headers: bearer(token) });
    expect(one.statusCode).toBe(200);
    expect(one.json().account_id).toBe(outlet);
    const msgs = await t.app.inject({ method: 'GET', url: `/api/v1/ui/conversations/${ids.o4}/messages`, headers: bearer(token) });
    expect(msgs.statusCode).toBe(200);
    const read = await t.app.inject({ method: 'POST', url: `/api/v1/ui/conversations/${ids.o1}/read`, headers: bearer(token) });
    expect(read.json().unread_count).toBe(0);
  });

  it('does not open a conversation of an account the person is not in', async () => {
    for (const url of [`/api/v1/ui/conversations/${ids.t2}`, `/api/v1/ui/conversations/${ids.t2}/messages`]) {
      const res = await t.app.inject({ method: 'GET', url, headers: bearer(token) });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('conversations.not_found');
    }
    const labels = await t.app.inject({ method: 'PUT', url: `/api/v1/ui/conversations/${ids.s0}/labels`, headers: bearer(strangerToken), payload: { label_ids: [] } });
    expect(labels.statusCode).toBe(404);
  });

  it('counts unread conversations per account', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/ui/unread', headers: bearer(token) });
    const body = res.json<{ accounts: { account_id: string; unread_conversations: number }[]; total: number }>();
    expect(Object.fromEntries(body.accounts.map((a) => [a.account_id, a.unread_conversations]))).toEqual({ [shop]: 1, [outlet]: 0 });
    expect(body.total).toBe(1);
  });

  it('is for people: an API key asking for every account gets a clear error', async () => {
    const created = await t.app.inject({ method: 'POST', url: `/api/v1/accounts/${shop}/api-keys`, headers: bearer(token), payload: { name: 'CRM', scopes: ['conversations:read'] } });
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/conversations?scope=all', headers: { 'x-api-key': created.json().key } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('request.invalid_scope');
  });
});
