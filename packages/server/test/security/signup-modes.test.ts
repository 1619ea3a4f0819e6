import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { users } from '../../src/db/schema/index.ts';
import { browserFacebookLogin, facebookPerson } from '../../src/modules/oauth/facebook-test-world.ts';
import { browserLogin, startOAuthWorld, type OAuthWorld } from '../../src/modules/oauth/oauth-test-world.ts';
import { bearer, login, setupAdmin } from '../app.ts';
import { createAccount, createUser } from '../factories.ts';

/** An owner of a shop account makes an invitation to it with `role`; answers the link's token. */
async function invitation(w: OAuthWorld, ownerToken: string, accountId: string, role = 'viewer') {
  const res = await w.t.app.inject({
    method: 'POST',
    url: `/api/v1/accounts/${accountId}/invitations`,
    headers: bearer(ownerToken),
    payload: { role, expires_in_hours: 24 },
  });
  expect(res.statusCode).toBe(201);
  return new URL(res.json<{ url: string }>().url).hash.slice(1);
}

const usersOf = (w: OAuthWorld, igId: string) => w.t.database.db.select().from(users).where(eq(users.oauthProviderId, igId));

describe('SIGNUP_MODE=invite (the default): Meta sign-ins create users only from an invitation', () => {
  let w: OAuthWorld;
  let owner: { token: string };
  let accountId: string;
  beforeAll(async () => {
    w = await startOAuthWorld({ SIGNUP_MODE: 'invite' });
    await setupAdmin(w.t);
    const user = await createUser(w.t.database.db, { username: 'shop_owner', password: 'owner-password' });
    accountId = (await createAccount(w.t.database.db, { username: 'team_shop', members: [{ userId: user.id, role: 'owner' }] })).id;
    owner = await login(w.t, 'shop_owner', 'owner-password');
  });
  afterAll(async () => w.close());

  it('the login page is told which mode applies', async () => {
    expect((await w.t.app.inject({ method: 'GET', url: '/api/v1/setup' })).json()).toEqual({ needs_setup: false, signup_mode: 'invite' });
  });

  it('refuses to create a user through Instagram without an invitation', async () => {
    const stranger = await w.control.createAccount({ username: 'stranger_shop' });
    const run = await browserLogin(w, { igId: stranger.igId });
    expect(run.location).toBe('/chat?oauth=error&reason=invitation_required');
    expect(run.sessionToken).toBeNull();
    expect(await usersOf(w, stranger.igId)).toEqual([]);
    // refused before anything was subscribed at Meta
    expect((await w.control.state()).subscriptions.filter((s) => s.accountId === stranger.igId)).toEqual([]);
  });

  it('refuses to create a user through Facebook without an invitation', async () => {
    const { pages } = await facebookPerson(w, 'Fay Stranger', [{ page: 'Fay Page', instagram: 'fay_shop' }]);
    const run = await browserFacebookLogin(w);
    expect(run.location).toBe('/chat?oauth=error&reason=invitation_required');
    expect((await w.control.facebook.pageSubscriptions()).filter((s) => s.pageId === pages[0]?.page.id)).toEqual([]);
    expect(await w.t.database.db.select().from(users).where(eq(users.oauthProvider, 'facebook'))).toEqual([]);
  });

  it('creates the user from an invitation, joins them with its role, and uses the link up', async () => {
    const token = await invitation(w, owner.token, accountId, 'viewer');
    const invited = await w.control.createAccount({ username: 'invited_shop' });
    const run = await browserLogin(w, { igId: invited.igId, invitation: token });
    expect(run.location).toMatch(/oauth=success/);
    const mine = await w.t.app.inject({ method: 'GET', url: '/api/v1/accounts/me', headers: bearer(run.sessionToken ?? '') });
    expect(mine.json<{ accounts: { username: string; role: string }[] }>().accounts).toContainEqual(expect.objectContaining({ username: 'team_shop', role: 'viewer' }));

    // the same link again: refused before anyone is sent to Meta
    const again = await w.t.app.inject({ method: 'GET', url: '/oauth/instagram/authorize', query: { invitation: token } });
    expect(again.statusCode).toBe(302);
    expect(again.headers.location).toBe('/chat?oauth=error&reason=invitation_invalid');
    const list = await w.t.app.inject({ method: 'GET', url: `/api/v1/accounts/${accountId}/invitations`, headers: bearer(owner.token) });
    expect(list.json<{ invitations: { status: string; used_by: string }[] }>().invitations[0]).toMatchObject({ status: 'used', used_by: 'invited_shop' });
  });

  it('creates a Facebook user from an invitation too', async () => {
    const token = await invitation(w, owner.token, accountId, 'admin');
    await facebookPerson(w, 'Ivy Invited', [{ page: 'Ivy Page', instagram: 'ivy_shop' }]);
    const run = await browserFacebookLogin(w, { invitation: token });
    expect(run.location).toMatch(/oauth=success/);
    const mine = await w.t.app.inject({ method: 'GET', url: '/api/v1/accounts/me', headers: bearer(run.sessionToken ?? '') });
    expect(mine.json<{ accounts: { username: string; role: string }[] }>().accounts).toContainEqual(expect.objectContaining({ username: 'team_shop', role: 'admin' }));
  });

  it('a revoked invitation creates nobody, even when revoked after the flow started', async () => {
    const revokedToken = await invitation(w, owner.token, accountId);
    const listed = await w.t.app.inject({ method: 'GET', url: `/api/v1/accounts/${accountId}/invitations`, headers: bearer(owner.token) });
    const pending = listed.json<{ invitations: { id: string; status: string }[] }>().invitations.find((i) => i.status === 'pending');
    const start = await w.t.app.inject({ method: 'GET', url: '/oauth/instagram/authorize', query: { invitation: revokedToken } });
    const revoke = await w.t.app.inject({ method: 'DELETE', url: `/api/v1/accounts/${accountId}/invitations/${pending?.id}`, headers: bearer(owner.token) });
    expect(revoke.json()).toMatchObject({ status: 'revoked' });
    const cookies = Object.fromEntries(start.cookies.map((c) => [c.name, c.value]));
    const other = await w.control.createAccount({ username: 'revoked_shop' });
    const consent = await w.control.authorize(String(start.headers.location), { accountId: other.igId, action: 'allow' });
    const callback = new URL(consent.location);
    const res = await w.t.app.inject({ method: 'GET', url: `${callback.pathname}${callback.search}`, cookies });
    expect(res.headers.location).toBe('/chat?oauth=error&reason=invitation_invalid');
    expect(await usersOf(w, other.igId)).toEqual([]);
  });
});

describe('SIGNUP_MODE=closed: Meta signs in only users that already exist', () => {
  let w: OAuthWorld;
  beforeAll(async () => {
    w = await startOAuthWorld({ SIGNUP_MODE: 'closed' });
  });
  afterAll(async () => w.close());

  it('refuses a new person, even with an invitation, and signs in one who exists', async () => {
    const admin = await setupAdmin(w.t);
    const made = await w.t.app.inject({ method: 'POST', url: '/api/v1/admin/invitations', headers: bearer(admin.token), payload: { expires_in_hours: 2 } });
    const token = new URL(made.json<{ url: string }>().url).hash.slice(1);
    const fresh = await w.control.createAccount({ username: 'fresh_shop' });
    const refused = await browserLogin(w, { igId: fresh.igId, invitation: token });
    expect(refused.location).toBe('/chat?oauth=error&reason=signup_closed');
    expect(await usersOf(w, fresh.igId)).toEqual([]);

    const known = await w.control.createAccount({ username: 'known_shop' });
    await w.t.database.db.insert(users).values({ username: 'known_shop', oauthProvider: 'instagram', oauthProviderId: known.igId });
    const ok = await browserLogin(w, { igId: known.igId });
    expect(ok.location).toMatch(/oauth=success/);
    expect(ok.sessionToken).not.toBeNull();
  });
});
