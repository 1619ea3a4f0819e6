import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp } from '../../../test/app.ts';
import { envelope, inbound, mid, postSigned } from '../../../test/meta.ts';
import { accounts, oauthStates, users, webhookEvents } from '../../db/schema/index.ts';
import { browserLogin, startOAuthWorld, type OAuthWorld } from './oauth-test-world.ts';

describe('login with Instagram and linking accounts', () => {
  let w: OAuthWorld;
  beforeAll(async () => {
    w = await startOAuthWorld();
  });
  afterAll(async () => w.close());

  const list = (token: string) => w.t.app.inject({ method: 'GET', url: '/api/v1/accounts/me', headers: bearer(token) });

  it('signs a new person in with Instagram: creates the user, the account (token encrypted, subscribed) and lands on the redirect', async () => {
    const shop = await w.control.createAccount({ username: 'acme_shop', name: 'Acme Shop', followersCount: 1234 });
    const run = await browserLogin(w, { igId: shop.igId, redirect: '/inbox' });
    expect(run.statusCode).toBe(302);
    expect(run.location).toMatch(/^\/inbox\?oauth=success&account_id=[0-9a-f-]{36}$/);
    expect(run.sessionToken).not.toBeNull();

    const [user] = await w.t.database.db.select().from(users).where(eq(users.oauthProviderId, shop.igId));
    expect(user).toMatchObject({ username: 'acme_shop', oauthProvider: 'instagram', passwordHash: null });
    const [account] = await w.t.database.db.select().from(accounts).where(eq(accounts.igUserId, shop.igId));
    const token = w.t.vault.decrypt(account?.accessTokenEncrypted ?? '');
    expect(token.length).toBeGreaterThan(10);
    expect(account?.accessTokenEncrypted).not.toContain(token);
    expect(account?.scopes).toEqual(['instagram_business_basic', 'instagram_business_manage_messages']);
    // token_expires_at comes from Meta's expires_in (about 60 days), on the simulator's clock.
    const days = ((account?.tokenExpiresAt?.getTime() ?? 0) - w.sim.clock.now()) / 86_400_000;
    expect(days).toBeGreaterThan(59);
    expect(days).toBeLessThan(61);

    const res = await list(run.sessionToken ?? '');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      accounts: [{ ig_user_id: shop.igId, username: 'acme_shop', name: 'Acme Shop', followers_count: 1234, role: 'owner', is_primary: true, status: 'active' }],
    });
    expect(res.body).not.toContain(token);
    const subs = (await w.control.state()).subscriptions.filter((s) => s.accountId === shop.igId);
    expect(subs).toHaveLength(1);
    expect(w.events).toContainEqual(expect.objectContaining({ type: 'account.connected', accountId: account?.id }));
  });

  it('signs the same person in again on their next Instagram login, without a second user', async () => {
    const shop = await w.control.createAccount({ username: 'repeat_shop' });
    const first = await browserLogin(w, { igId: shop.igId });
    const second = await browserLogin(w, { igId: shop.igId });
    expect(second.location).toMatch(/^\/chat\?oauth=success/);
    const me = (token: string) => w.t.app.inject({ method: 'GET', url: '/api/v1/ui/me', headers: bearer(token) }).then((r) => r.json<{ user_id: string }>());
    expect((await me(second.sessionToken ?? '')).user_id).toBe((await me(first.sessionToken ?? '')).user_id);
    expect(await w.t.database.db.select().from(users).where(eq(users.oauthProviderId, shop.igId))).toHaveLength(1);
  });

  it('links a second account to the signed-in user as owner, keeps the first primary, and processes its waiting webhook events', async () => {
    const first = await w.control.createAccount({ username: 'first_shop' });
    const second = await w.control.createAccount({ username: 'second_shop' });
    const login = await browserLogin(w, { igId: first.igId });
    const session = login.sessionToken ?? '';

    // A DM for the second account arrives before anyone linked it: kept as unrouted.
    const m = mid();
    expect((await postSigned(w.t, envelope(second.igId, [inbound(second.igId, '9900001', Date.now(), { mid: m, text: 'early bird' })]))).statusCode).toBe(200);
    await w.t.services.webhookProcessor.runUntilIdle();
    const statusOfEvents = async () => (await w.t.database.db.select().from(webhookEvents)).filter((e) => e.accountIgIds?.includes(second.igId)).map((e) => e.status);
    expect(await statusOfEvents()).toEqual(['unrouted']);

    const link = await browserLogin(w, { igId: second.igId, sessionToken: session, redirect: '/settings/accounts' });
    expect(link.location).toMatch(/^\/settings\/accounts\?oauth=success/);
    expect(link.sessionToken).toBeNull();
    await w.t.services.webhookProcessor.runUntilIdle();
    expect(await statusOfEvents()).toEqual(['processed']);

    const res = (await list(session)).json<{ accounts: { username: string; role: string; is_primary: boolean }[] }>();
    expect(res.accounts.map((a) => [a.username, a.role, a.is_primary])).toEqual([
      ['first_shop', 'owner', true],
      ['second_shop', 'owner', false],
    ]);
  });

  it('links an account someone else already has as admin, and they keep their role', async () => {
    const shared = await w.control.createAccount({ username: 'shared_shop' });
    const owner = await browserLogin(w, { igId: shared.igId });
    const other = await w.control.createAccount({ username: 'other_person' });
    const otherLogin = await browserLogin(w, { igId: other.igId });
    await browserLogin(w, { igId: shared.igId, sessionToken: otherLogin.sessionToken ?? '' });

    const roles = async (token: string) =>
      (await list(token)).json<{ accounts: { username: string; role: string }[] }>().accounts.find((a) => a.username === 'shared_shop')?.role;
    expect(await roles(owner.sessionToken ?? '')).toBe('owner');
    expect(await roles(otherLogin.sessionToken ?? '')).toBe('admin');
  });

  it('ends a denied consent on the redirect with access_denied, creating nothing', async () => {
    const shop = await w.control.createAccount({ username: 'shy_shop' });
    const run = await browserLogin(w, { igId: shop.igId, redirect: '/inbox', action: 'cancel' });
    expect(run.location).toBe('/inbox?oauth=error&reason=access_denied');
    expect(run.sessionToken).toBeNull();
    expect(await w.t.database.db.select().from(accounts).where(eq(accounts.igUserId, shop.igId))).toEqual([]);
    expect(await w.t.database.db.select().from(users).where(eq(users.oauthProviderId, shop.igId))).toEqual([]);
  });

  it('refuses a replayed state with a page that says why, and signs nobody in', async () => {
    const shop = await w.control.createAccount({ username: 'replay_shop' });
    let replay = '';
    const cookies: Record<string, string> = {};
    await browserLogin(w, {
      igId: shop.igId,
      tamper: (callback, c) => {
        replay = `${callback.pathname}${callback.search}`;
        Object.assign(cookies, c);
      },
    });
    const again = await w.t.app.inject({ method: 'GET', url: replay, cookies });
    expect(again.statusCode).toBe(400);
    expect(again.headers['content-type']).toContain('text/html');
    expect(again.body).toContain('already used');
    expect(again.cookies.find((c) => c.name === 'threadline_session')).toBeUndefined();
  });

  it('refuses a callback from another browser (a stolen link): the state is bound to the browser that started it', async () => {
    const shop = await w.control.createAccount({ username: 'stolen_shop' });
    const run = await browserLogin(w, { igId: shop.igId, tamper: (_cb, cookies) => void delete cookies.threadline_oauth });
    expect(run.statusCode).toBe(400);
    expect(run.sessionToken).toBeNull();
    expect(await w.t.database.db.select().from(accounts).where(eq(accounts.igUserId, shop.igId))).toEqual([]);
  });

  it('refuses an expired state', async () => {
    const shop = await w.control.createAccount({ username: 'slow_shop' });
    const run = await browserLogin(w, {
      igId: shop.igId,
      tamper: () => void w.sim.clock.advance(11 * 60_000),
    });
    expect(run.statusCode).toBe(400);
    expect(run.body).toContain('expired');
  });

  it('replaces a forged redirect to another site by /chat (no open redirect)', async () => {
    for (const forged of ['https://evil.example/steal', '//evil.example', '/\\evil.example']) {
      const shop = await w.control.createAccount({});
      const run = await browserLogin(w, { igId: shop.igId, redirect: forged });
      expect(run.location).toMatch(/^\/chat\?oauth=success/);
    }
  });

  it('strips the #_ Meta appends to the code, and reports a reused code without creating anything', async () => {
    const shop = await w.control.createAccount({ username: 'reused_code_shop' });
    const first = await w.control.createAccount({ username: 'code_donor' });
    const donor = await browserLogin(w, { igId: first.igId });
    const run = await browserLogin(w, {
      igId: shop.igId,
      tamper: (callback) => callback.searchParams.set('code', `${donor.code ?? ''}#_`),
    });
    expect(run.location).toBe('/chat?oauth=error&reason=code_exchange_failed');
    expect(await w.t.database.db.select().from(accounts).where(eq(accounts.igUserId, shop.igId))).toEqual([]);
  });

  it('leaves no account behind when the webhook subscription fails', async () => {
    const shop = await w.control.createAccount({ username: 'unsubscribable' });
    await w.control.injectFault({ type: 'error', error: 'permissionDenied', match: { method: 'POST', pathIncludes: 'subscribed_apps' }, times: 1 });
    const run = await browserLogin(w, { igId: shop.igId });
    expect(run.location).toBe('/chat?oauth=error&reason=subscribe_failed');
    expect(await w.t.database.db.select().from(accounts).where(eq(accounts.igUserId, shop.igId))).toEqual([]);
    expect(await w.t.database.db.select().from(users).where(eq(users.oauthProviderId, shop.igId))).toEqual([]);
  });

  it('never writes the code or a token to the logs of a full run', async () => {
    const shop = await w.control.createAccount({ username: 'quiet_shop' });
    const run = await browserLogin(w, { igId: shop.igId });
    const [account] = await w.t.database.db.select().from(accounts).where(eq(accounts.igUserId, shop.igId));
    const token = w.t.vault.decrypt(account?.accessTokenEncrypted ?? '');
    const logs = w.t.logLines.join('\n');
    expect(logs).toContain('/oauth/instagram/callback');
    expect(logs).not.toContain(token);
    expect(logs).not.toContain(run.code ?? 'no code');
    expect(logs).not.toContain(run.state ?? 'no state');
    expect(logs).not.toContain(run.sessionToken ?? 'no session');
  });

  it('deletes expired OAuth states in its cleanup job', async () => {
    await w.t.app.inject({ method: 'GET', url: '/oauth/instagram/authorize' });
    w.sim.clock.advance(11 * 60_000);
    await w.t.services.oauthStates.deleteExpired(new Date(w.sim.clock.now()));
    const left = await w.t.database.db.select().from(oauthStates);
    expect(left.filter((s) => s.expiresAt.getTime() < w.sim.clock.now())).toEqual([]);
  });
});

describe('without Instagram Login configured', () => {
  it('answers the OAuth routes with a clear 503 and keeps everything else working', async () => {
    const t = await createTestApp();
    try {
      const res = await t.app.inject({ method: 'GET', url: '/oauth/instagram/authorize' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ error: { code: 'oauth.not_configured' } });
      expect(res.json<{ error: { message: string } }>().error.message).toContain('INSTAGRAM_OAUTH_CLIENT_ID');
      expect((await t.app.inject({ method: 'GET', url: '/oauth/instagram/callback?code=x&state=y' })).statusCode).toBe(503);
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/setup' })).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });
});
