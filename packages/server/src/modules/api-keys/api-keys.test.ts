import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { bearer, createTestApp, login, type TestApp } from '../../../test/app.ts';
import { createAccount, createUser } from '../../../test/factories.ts';
import type { App } from '../../http/server.ts';
import { userAccounts, users } from '../../db/schema/index.ts';

/** A probe route that asks for one scope, assembled into the test app the way real routes are. */
async function probeRoutes(app: App) {
  app.get('/api/v1/probe/send', { config: { auth: 'api_key', apiKeyScope: 'messages:send' } }, async (req) => ({
    account_id: req.auth?.kind === 'api_key' ? req.auth.accountId : null,
  }));
  app.get('/api/v1/probe/read', { config: { auth: 'api_key', apiKeyScope: 'conversations:read' } }, async () => ({ ok: true }));
}

describe('API keys', () => {
  let t: TestApp;
  let ownerToken: string;
  let viewerToken: string;
  let strangerToken: string;
  let accountId: string;
  beforeAll(async () => {
    t = await createTestApp({}, { plugins: [probeRoutes] });
    const db = t.database.db;
    const owner = await createUser(db, { username: 'owner', password: 'owner-password' });
    const viewer = await createUser(db, { username: 'viewer', password: 'viewer-password' });
    await createUser(db, { username: 'stranger', password: 'stranger-password' });
    accountId = (
      await createAccount(db, { members: [{ userId: owner.id, role: 'owner' }, { userId: viewer.id, role: 'viewer' }] })
    ).id;
    ownerToken = (await login(t, 'owner', 'owner-password')).token;
    viewerToken = (await login(t, 'viewer', 'viewer-password')).token;
    strangerToken = (await login(t, 'stranger', 'stranger-password')).token;
  });
  afterAll(async () => t.close());

  const create = (token: string, scopes: string[] = ['messages:send']) =>
    t.app.inject({ method: 'POST', url: `/api/v1/accounts/${accountId}/api-keys`, headers: bearer(token), payload: { name: 'CRM', scopes } });

  it('shows a new key once, then lists it by prefix only', async () => {
    const res = await create(ownerToken);
    expect(res.statusCode).toBe(201);
    const { key, prefix } = res.json();
    expect(key).toMatch(/^tl_[A-Za-z0-9]{10}_[A-Za-z0-9_-]{43}$/);
    expect(key.startsWith(prefix)).toBe(true);
    const list = await t.app.inject({ method: 'GET', url: `/api/v1/accounts/${accountId}/api-keys`, headers: bearer(ownerToken) });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(key);
    expect(list.json().api_keys[0]).toMatchObject({ prefix, scopes: ['messages:send'], last_used_at: null });
  });

  it('authenticates X-API-Key on routes within its scopes and records the last use', async () => {
    const { key, id } = (await create(ownerToken)).json();
    const ok = await t.app.inject({ method: 'GET', url: '/api/v1/probe/send', headers: { 'x-api-key': key } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ account_id: accountId });
    const list = await t.app.inject({ method: 'GET', url: `/api/v1/accounts/${accountId}/api-keys`, headers: bearer(ownerToken) });
    const listed = list.json().api_keys.find((k: { id: string }) => k.id === id);
    expect(listed.last_used_at).not.toBeNull();
  });

  it('refuses a key without the scope a route needs', async () => {
    const { key } = (await create(ownerToken, ['messages:send'])).json();
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/probe/read', headers: { 'x-api-key': key } });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('auth.missing_scope');
  });

  it('stops a revoked key at once', async () => {
    const { key, id } = (await create(ownerToken)).json();
    const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/accounts/${accountId}/api-keys/${id}`, headers: bearer(ownerToken) });
    expect(del.statusCode).toBe(200);
    expect(del.json().revoked_at).not.toBeNull();
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/probe/send', headers: { 'x-api-key': key } });
    expect(res.statusCode).toBe(401);
  });

  it('refuses a forged key that reuses a real prefix', async () => {
    const { prefix } = (await create(ownerToken)).json();
    const forged = `${prefix}_${'A'.repeat(43)}`;
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/probe/send', headers: { 'x-api-key': forged } });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('auth.invalid_api_key');
  });

  it('refuses a missing API key on a key-only route', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/probe/send' });
    expect(res.statusCode).toBe(401);
  });

  it('does not let a viewer create keys', async () => {
    const res = await create(viewerToken);
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('accounts.forbidden_role');
  });

  it('answers 404 to a user who is not a member of the account, on every key route', async () => {
    const { id } = (await create(ownerToken)).json();
    for (const [method, url] of [
      ['GET', `/api/v1/accounts/${accountId}/api-keys`],
      ['POST', `/api/v1/accounts/${accountId}/api-keys`],
      ['DELETE', `/api/v1/accounts/${accountId}/api-keys/${id}`],
    ] as const) {
      const res = await t.app.inject({ method, url, headers: bearer(strangerToken), ...(method === 'POST' ? { payload: { name: 'x', scopes: ['messages:send'] } } : {}) });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json().error.code).toBe('accounts.not_found');
    }
  });

  it('refuses unknown scopes', async () => {
    const res = await create(ownerToken, ['everything']);
    expect(res.statusCode).toBe(400);
  });

  it('shows who created each key; a disabled creator’s key keeps working and says so (docs/decisions/0005)', async () => {
    const db = t.database.db;
    const creator = await createUser(db, { username: 'leaver', password: 'leaver-password' });
    await db.insert(userAccounts).values({ userId: creator.id, accountId, role: 'admin' });
    const made = await create((await login(t, 'leaver', 'leaver-password')).token, ['conversations:read']);
    expect(made.json()).toMatchObject({ created_by: 'leaver', created_by_disabled: false });
    await db.update(users).set({ disabledAt: new Date() }).where(eq(users.id, creator.id));
    const listed = await t.app.inject({ method: 'GET', url: `/api/v1/accounts/${accountId}/api-keys`, headers: bearer(ownerToken) });
    expect(listed.json().api_keys.find((k: { id: string }) => k.id === made.json().id)).toMatchObject({ created_by: 'leaver', created_by_disabled: true });
    const used = await t.app.inject({ method: 'GET', url: '/api/v1/probe/read', headers: { 'x-api-key': made.json().key } });
    expect(used.statusCode).toBe(200);
  });
});
