import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, login } from '../../../test/app.ts';
import { createUser } from '../../../test/factories.ts';
import { accounts } from '../../db/schema/index.ts';
import { browserLogin, startOAuthWorld, type OAuthWorld } from '../oauth/oauth-test-world.ts';
import { allRoutes } from '../../../test/routes.ts';

/** A valid body for routes that validate one, so the request reaches the access check. */
const BODIES: Record<string, unknown> = {
  'PATCH /api/v1/accounts/:id': { crm_webhook_url: null },
  'POST /api/v1/accounts/:id/api-keys': { name: 'CRM', scopes: ['messages:send'] },
  'POST /api/v1/accounts/:id/crm/recover': { since: '2026-01-01T00:00:00Z' },
  'POST /api/v1/accounts/:id/members': { username: 'someone', role: 'viewer' },
  'PATCH /api/v1/accounts/:id/members/:userId': { role: 'viewer' },
  'POST /api/v1/accounts/:id/invitations': { role: 'viewer' },
  'POST /api/v1/accounts/:id/labels': { name: 'VIP', color: '#1d4ed8' },
  'PATCH /api/v1/accounts/:id/labels/:labelId': { name: 'VIP' },
  'POST /api/v1/accounts/:id/canned-replies': { shortcut: 'hi', text: 'Hello' },
  'PATCH /api/v1/accounts/:id/canned-replies/:replyId': { text: 'Hello' },
  'PUT /api/v1/accounts/:id/assignment': { auto_assign: false },
  'PUT /api/v1/accounts/:id/assignment/me': { receives_conversations: false },
  'PUT /api/v1/accounts/:id/crm-record-link': { template: null },
};

describe('accounts: list, primary, switch, unlink, members, roles', () => {
  let w: OAuthWorld;
  let alice: { token: string; userId: string };
  let shopId: string;
  let studioId: string;
  beforeAll(async () => {
    w = await startOAuthWorld();
    const shop = await w.control.createAccount({ username: 'alice_shop' });
    const studio = await w.control.createAccount({ username: 'alice_studio' });
    const run = await browserLogin(w, { igId: shop.igId });
    await browserLogin(w, { igId: studio.igId, sessionToken: run.sessionToken ?? '' });
    const me = await w.t.app.inject({ method: 'GET', url: '/api/v1/ui/me', headers: bearer(run.sessionToken ?? '') });
    alice = { token: run.sessionToken ?? '', userId: me.json<{ user_id: string }>().user_id };
    const rows = await w.t.database.db.select().from(accounts);
    shopId = rows.find((r) => r.igUserId === shop.igId)?.id ?? '';
    studioId = rows.find((r) => r.igUserId === studio.igId)?.id ?? '';
  });
  afterAll(async () => w.close());

  const listFor = async (token: string) =>
    (await w.t.app.inject({ method: 'GET', url: '/api/v1/accounts/me', headers: bearer(token) })).json<{
      accounts: { id: string; role: string; is_primary: boolean }[];
    }>().accounts;

  /** A password user, member of `accountId` with `role`. */
  async function member(username: string, accountId: string, role: 'owner' | 'admin' | 'viewer') {
    const user = await createUser(w.t.database.db, { username, password: `${username}-password` });
    const res = await w.t.app.inject({
      method: 'POST',
      url: `/api/v1/accounts/${accountId}/members`,
      headers: bearer(alice.token),
      payload: { username, role },
    });
    expect(res.statusCode).toBe(201);
    return { userId: user.id, token: (await login(w.t, username, `${username}-password`)).token };
  }

  it('switches the session to another linked account and ends the old session', async () => {
    const res = await w.t.app.inject({ method: 'POST', url: '/api/v1/ui/session/switch', headers: bearer(alice.token), payload: { account_id: studioId } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ account_id: studioId, user_id: alice.userId });
    expect(res.cookies.find((c) => c.name === 'threadline_session')?.value).toBe(res.json<{ token: string }>().token);
    expect((await w.t.app.inject({ method: 'GET', url: '/api/v1/ui/me', headers: bearer(alice.token) })).statusCode).toBe(401);
    alice.token = res.json<{ token: string }>().token;
    const me = await w.t.app.inject({ method: 'GET', url: '/api/v1/ui/me', headers: bearer(alice.token) });
    expect(me.json()).toMatchObject({ account_id: studioId });
  });

  it('makes another account primary, and lists it first', async () => {
    expect((await listFor(alice.token)).map((a) => [a.id, a.is_primary])).toEqual([[shopId, true], [studioId, false]]);
    const res = await w.t.app.inject({ method: 'POST', url: `/api/v1/accounts/${studioId}/set-primary`, headers: bearer(alice.token) });
    expect(res.statusCode).toBe(200);
    expect((await listFor(alice.token)).map((a) => [a.id, a.is_primary])).toEqual([[studioId, true], [shopId, false]]);
  });

  it('lets a viewer read but not manage members, and an admin manage viewers only', async () => {
    const viewer = await member('vera', shopId, 'viewer');
    const admin = await member('adam', shopId, 'admin');
    const list = await w.t.app.inject({ method: 'GET', url: `/api/v1/accounts/${shopId}/members`, headers: bearer(viewer.token) });
    expect(list.statusCode).toBe(200);
    expect(list.json<{ members: { username: string; role: string }[] }>().members.map((m) => m.role).sort()).toEqual(['admin', 'owner', 'viewer']);

    await createUser(w.t.database.db, { username: 'newbie', password: 'newbie-password' });
    const byViewer = await w.t.app.inject({ method: 'POST', url: `/api/v1/accounts/${shopId}/members`, headers: bearer(viewer.token), payload: { username: 'newbie', role: 'viewer' } });
    expect(byViewer.statusCode).toBe(403);
    const adminMakesAdmin = await w.t.app.inject({ method: 'POST', url: `/api/v1/accounts/${shopId}/members`, headers: bearer(admin.token), payload: { username: 'newbie', role: 'admin' } });
    expect(adminMakesAdmin.statusCode).toBe(403);
    const adminAddsViewer = await w.t.app.inject({ method: 'POST', url: `/api/v1/accounts/${shopId}/members`, headers: bearer(admin.token), payload: { username: 'newbie', role: 'viewer' } });
    expect(adminAddsViewer.statusCode).toBe(201);
    const adminPromotes = await w.t.app.inject({ method: 'PATCH', url: `/api/v1/accounts/${shopId}/members/${viewer.userId}`, headers: bearer(admin.token), payload: { role: 'admin' } });
    expect(adminPromotes.statusCode).toBe(403);
    const ownerPromotes = await w.t.app.inject({ method: 'PATCH', url: `/api/v1/accounts/${shopId}/members/${viewer.userId}`, headers: bearer(alice.token), payload: { role: 'admin' } });
    expect(ownerPromotes.json()).toMatchObject({ username: 'vera', role: 'admin' });
    const adminRemovesAdmin = await w.t.app.inject({ method: 'DELETE', url: `/api/v1/accounts/${shopId}/members/${viewer.userId}`, headers: bearer(admin.token) });
    expect(adminRemovesAdmin.statusCode).toBe(403);
    const adminUnlinks = await w.t.app.inject({ method: 'DELETE', url: `/api/v1/accounts/${shopId}/unlink`, headers: bearer(admin.token) });
    expect(adminUnlinks.statusCode).toBe(403);
    const ownerDemotesSelf = await w.t.app.inject({ method: 'PATCH', url: `/api/v1/accounts/${shopId}/members/${alice.userId}`, headers: bearer(alice.token), payload: { role: 'admin' } });
    expect(ownerDemotesSelf.statusCode).toBe(409);
  });

  it('keeps the last owner from unlinking while others remain, then disconnects the account when the last member unlinks', async () => {
    const blocked = await w.t.app.inject({ method: 'DELETE', url: `/api/v1/accounts/${shopId}/unlink`, headers: bearer(alice.token) });
    expect(blocked.statusCode).toBe(409);
    expect(blocked.json()).toMatchObject({ error: { code: 'accounts.last_owner' } });

    const members = (await w.t.app.inject({ method: 'GET', url: `/api/v1/accounts/${shopId}/members`, headers: bearer(alice.token) })).json<{ members: { user_id: string; role: string }[] }>().members;
    for (const m of members.filter((x) => x.user_id !== alice.userId)) {
      const res = await w.t.app.inject({ method: 'DELETE', url: `/api/v1/accounts/${shopId}/members/${m.user_id}`, headers: bearer(alice.token) });
      expect(res.json()).toMatchObject({ unlinked: true, account_disconnected: false });
    }
    const [before] = await w.t.database.db.select().from(accounts).where(eq(accounts.id, shopId));
    const res = await w.t.app.inject({ method: 'DELETE', url: `/api/v1/accounts/${shopId}/unlink`, headers: bearer(alice.token) });
    expect(res.json()).toEqual({ unlinked: true, account_disconnected: true });

    const [after] = await w.t.database.db.select().from(accounts).where(eq(accounts.id, shopId));
    expect(after).toMatchObject({ status: 'disconnected', accessTokenEncrypted: null, tokenExpiresAt: null });
    const subs = (await w.control.state()).subscriptions.filter((s) => s.accountId === before?.igUserId);
    expect(subs).toEqual([]);
    expect(w.events).toContainEqual(expect.objectContaining({ type: 'account.disconnected', accountId: shopId }));
    expect((await listFor(alice.token)).map((a) => a.id)).toEqual([studioId]);
  });

  it("answers 404, never 403, for another user's account id on every account route", async () => {
    const stranger = await member('stranger_owner_helper', studioId, 'viewer');
    // The stranger is a viewer of studio only; the target is an account only alice has.
    const other = await w.control.createAccount({ username: 'alice_third' });
    await browserLogin(w, { igId: other.igId, sessionToken: alice.token });
    const [target] = await w.t.database.db.select().from(accounts).where(eq(accounts.igUserId, other.igId));
    const targetId = target?.id ?? '';

    const routes = allRoutes(w.t.app).filter((r) => r.path.startsWith('/api/v1/accounts/:id') && r.method !== 'HEAD');
    expect(routes.length).toBeGreaterThanOrEqual(15);
    for (const route of routes) {
      const url = route.path.replace(':id', targetId).replace(/:[A-Za-z]+/g, () => randomUUID());
      const body = BODIES[`${route.method} ${route.path}`];
      const res = await w.t.app.inject({ method: route.method as 'GET', url, headers: bearer(stranger.token), ...(body ? { payload: body } : {}) });
      expect({ route: `${route.method} ${route.path}`, status: res.statusCode }).toEqual({ route: `${route.method} ${route.path}`, status: 404 });
    }
    const sw = await w.t.app.inject({ method: 'POST', url: '/api/v1/ui/session/switch', headers: bearer(stranger.token), payload: { account_id: targetId } });
    expect(sw.statusCode).toBe(404);
    expect((await listFor(stranger.token)).map((a) => a.id)).toEqual([studioId]);
  });
});
