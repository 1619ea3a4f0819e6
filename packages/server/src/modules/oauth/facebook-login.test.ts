import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login } from '../../../test/app.ts';
import { createUser } from '../../../test/factories.ts';
import { accounts, oauthPageChoices, users } from '../../db/schema/index.ts';
import { browserFacebookLogin, facebookPerson } from './facebook-test-world.ts';
import { browserLogin, startOAuthWorld, type OAuthWorld } from './oauth-test-world.ts';

describe('Continue with Facebook', () => {
  let w: OAuthWorld;
  beforeAll(async () => {
    w = await startOAuthWorld();
  });
  afterAll(async () => w.close());

  const db = () => w.t.database.db;
  const accountOf = async (igId: string) => (await db().select().from(accounts).where(eq(accounts.igUserId, igId)))[0];
  const list = (token: string) => w.t.app.inject({ method: 'GET', url: '/api/v1/accounts/me', headers: bearer(token) });

  it('signs a person with one Page in at once: user, account on the Facebook path with its Page, Page token encrypted, Page subscribed', async () => {
    const { person, pages } = await facebookPerson(w, 'Maria Rossi', [{ page: 'Maria Bakery', instagram: 'maria_bakery' }]);
    const only = pages[0];
    const run = await browserFacebookLogin(w, { redirect: '/inbox' });
    expect(run.statusCode).toBe(302);
    expect(run.location).toMatch(/^\/inbox\?oauth=success&account_id=[0-9a-f-]{36}&linked=1$/);
    expect(run.sessionToken).not.toBeNull();

    const [user] = await db().select().from(users).where(eq(users.oauthProviderId, person.id));
    expect(user).toMatchObject({ username: 'maria_bakery', oauthProvider: 'facebook', passwordHash: null });
    const account = await accountOf(only?.account?.igId ?? '');
    expect(account).toMatchObject({
      loginPath: 'facebook_login',
      facebookPageId: only?.page.id,
      facebookPageName: 'Maria Bakery',
      facebookUserId: person.id,
      username: 'maria_bakery',
      tokenExpiresAt: null,
      status: 'active',
    });
    const pageToken = w.t.vault.decrypt(account?.accessTokenEncrypted ?? '');
    expect(pageToken).toMatch(/^EAA/);
    expect(account?.scopes).toEqual(expect.arrayContaining(['instagram_manage_messages', 'pages_manage_metadata']));
    expect(await w.control.facebook.pageSubscriptions()).toEqual([
      expect.objectContaining({ pageId: only?.page.id, fields: ['messages', 'messaging_postbacks', 'messaging_seen', 'message_reactions', 'messaging_referral'] }),
    ]);

    const res = await list(run.sessionToken ?? '');
    expect(res.json()).toMatchObject({
      accounts: [{ username: 'maria_bakery', login_path: 'facebook_login', facebook_page: { id: only?.page.id, name: 'Maria Bakery' }, role: 'owner', is_primary: true }],
    });
    expect(res.body).not.toContain(pageToken);
    expect(w.t.logLines.join('\n')).not.toContain(pageToken);
    expect(w.events).toContainEqual(expect.objectContaining({ type: 'account.connected', accountId: account?.id }));
  });

  it('shows a person with several Pages a picker; the chosen ones are linked, a Page without Instagram is shown but cannot be chosen', async () => {
    const { pages } = await facebookPerson(w, 'Agency Anna', [
      { page: 'North Shop', instagram: 'north_shop' },
      { page: 'South Shop', instagram: 'south_shop' },
      { page: 'Anna Blog', instagram: null },
      { page: 'East Shop', instagram: 'east_shop' },
    ]);
    const [north, south, blog, east] = pages;
    const shown = await browserFacebookLogin(w, {});
    expect(shown.location).toMatch(/^\/oauth\/facebook\/pages\/[A-Za-z0-9_-]+$/);
    expect(await accountOf(north?.account?.igId ?? '')).toBeUndefined();
    const picker = await w.t.app.inject({ method: 'GET', url: shown.location ?? '', cookies: shown.cookies });
    expect(picker.statusCode).toBe(200);
    expect(picker.headers['content-security-policy']).toContain("default-src 'none'");
    expect(picker.body).toContain('North Shop');
    expect(picker.body).toContain('@east_shop');
    expect(picker.body).toMatch(/disabled> Anna Blog <small>no Instagram professional account/);
    expect(picker.body).not.toContain('EAA');

    const run = await browserFacebookLogin(w, { choose: [north?.page.id ?? '', east?.page.id ?? '', blog?.page.id ?? ''] });
    expect(run.location).toMatch(/^\/chat\?oauth=success&account_id=.+&linked=2$/);
    expect(run.sessionToken).not.toBeNull();
    const accountsOfUser = (await list(run.sessionToken ?? '')).json<{ accounts: { username: string; facebook_page: { name: string } }[] }>();
    expect(accountsOfUser.accounts.map((a) => [a.username, a.facebook_page.name]).sort()).toEqual([
      ['east_shop', 'East Shop'],
      ['north_shop', 'North Shop'],
    ]);
    expect(await accountOf(south?.account?.igId ?? '')).toBeUndefined();
  });

  it('asks again when nothing was chosen, and refuses a replayed choice, another browser and another origin', async () => {
    const { pages } = await facebookPerson(w, 'Careful Carl', [
      { page: 'Carl One', instagram: 'carl_one' },
      { page: 'Carl Two', instagram: 'carl_two' },
    ]);
    const shown = await browserFacebookLogin(w, {});
    const url = shown.location ?? '';
    const post = (cookies: Record<string, string>, form: string, origin = 'http://localhost:8000') =>
      w.t.app.inject({ method: 'POST', url, cookies, headers: { 'content-type': 'application/x-www-form-urlencoded', origin }, payload: form });
    const form = `page_${pages[0]?.page.id ?? ''}=on`;

    const empty = await post(shown.cookies, '');
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('Choose at least one Instagram account.');
    expect((await post({}, form)).body).toContain('started in another browser');
    expect((await post(shown.cookies, form, 'https://evil.example')).statusCode).toBe(403);

    const done = await post(shown.cookies, form);
    expect(done.statusCode).toBe(302);
    expect(done.headers.location).toMatch(/oauth=success/);
    const replay = await post(shown.cookies, form);
    expect(replay.statusCode).toBe(400);
    expect(replay.body).toContain('already made');
    const choiceId = url.split('/').pop() ?? '';
    expect(await db().select().from(oauthPageChoices).where(eq(oauthPageChoices.id, choiceId))).toMatchObject([{ consumedAt: expect.any(Date) }]);
    expect(w.t.logLines.join('\n')).not.toContain(choiceId);
  });

  it('pages through a person who manages 50 Pages', async () => {
    const many = Array.from({ length: 50 }, (_, i) => ({ page: `Franchise ${i + 1}`, instagram: i === 49 ? 'franchise_fifty' : null }));
    const { pages } = await facebookPerson(w, 'Franchise Owner', many);
    // Only the 50th Page has Instagram: found on the last page of /me/accounts, it is linked at once.
    const run = await browserFacebookLogin(w, {});
    expect(run.location).toMatch(/oauth=success/);
    expect(await accountOf(pages[49]?.account?.igId ?? '')).toMatchObject({ facebookPageName: 'Franchise 50' });
  });

  it('links Pages to the signed-in user (admin when someone else already has the account), without signing anyone in', async () => {
    const { person, pages } = await facebookPerson(w, 'Linker Lena', [{ page: 'Lena Shop', instagram: 'lena_shop' }]);
    const first = await browserFacebookLogin(w, {});
    const colleague = await w.control.facebook.createUser({ name: 'Colleague Cleo' });
    await w.control.facebook.updatePage(pages[0]?.page.id ?? '', { managers: [person.id, colleague.id] });
    await w.control.facebook.setSession(colleague.id);
    await createUser(db(), { username: 'cleo_admin', password: 'cleo-password' });
    const cleo = await login(w.t, 'cleo_admin', 'cleo-password');

    const link = await browserFacebookLogin(w, { sessionToken: cleo.token, redirect: '/settings' });
    expect(link.location).toMatch(/^\/settings\?oauth=success/);
    expect(link.sessionToken).toBeNull();
    const mine = (await list(cleo.token)).json<{ accounts: { username: string; role: string }[] }>();
    expect(mine.accounts).toEqual([expect.objectContaining({ username: 'lena_shop', role: 'admin' })]);
    const lena = (await list(first.sessionToken ?? '')).json<{ accounts: { username: string; role: string }[] }>();
    expect(lena.accounts).toEqual([expect.objectContaining({ username: 'lena_shop', role: 'owner' })]);
    // The newest link names the person Meta's callbacks will name.
    expect((await accountOf(pages[0]?.account?.igId ?? ''))?.facebookUserId).toBe(colleague.id);
  });
});

describe('Continue with Facebook: what is missing, what was refused', () => {
  let w: OAuthWorld;
  beforeAll(async () => {
    w = await startOAuthWorld();
  });
  afterAll(async () => w.close());
  const db = () => w.t.database.db;

  it('names a declined permission and links to a dialog that asks for it again', async () => {
    const { pages } = await facebookPerson(w, 'Declining Dora', [{ page: 'Dora Shop', instagram: 'dora_shop' }]);
    const run = await browserFacebookLogin(w, { decline: ['instagram_manage_messages'], redirect: '/settings' });
    expect(run.statusCode).toBe(200);
    expect(run.body).toContain('<code>instagram_manage_messages</code>');
    expect(run.body).toContain('Edit access');
    expect(run.body).toContain('href="/oauth/facebook/authorize?redirect=%2Fsettings&amp;rerequest=1"');
    expect(await db().select().from(accounts).where(eq(accounts.igUserId, pages[0]?.account?.igId ?? ''))).toEqual([]);
    expect(await db().select().from(users).where(eq(users.username, 'dora_shop'))).toEqual([]);

    const again = await browserFacebookLogin(w, { rerequest: true });
    expect(again.location).toMatch(/oauth=success/);
  });

  it('explains Pages without an Instagram professional account', async () => {
    await facebookPerson(w, 'Plain Paul', [{ page: 'Paul Plumbing', instagram: null }]);
    const run = await browserFacebookLogin(w, {});
    expect(run.statusCode).toBe(200);
    expect(run.body).toContain('No Instagram account found');
    expect(run.body).toContain('<strong>Paul Plumbing</strong>');
  });

  it('sends a cancelled dialog back with the reason, and refuses a replayed callback or one from another browser', async () => {
    await facebookPerson(w, 'Cancel Cora', [{ page: 'Cora Shop', instagram: 'cora_shop' }]);
    const cancelled = await browserFacebookLogin(w, { action: 'cancel', redirect: '/login' });
    expect(cancelled.location).toBe('/login?oauth=error&reason=facebook_access_denied');

    let replayUrl = '';
    const first = await browserFacebookLogin(w, { tamper: (callback) => void (replayUrl = `${callback.pathname}${callback.search}`) });
    expect(first.location).toMatch(/oauth=success/);
    const replay = await w.t.app.inject({ method: 'GET', url: replayUrl, cookies: first.cookies });
    expect(replay.statusCode).toBe(400);
    expect(replay.body).toContain('already used');
    const otherBrowser = await browserFacebookLogin(w, { tamper: (_callback, cookies) => void delete cookies['threadline_oauth'] });
    expect(otherBrowser.statusCode).toBe(400);
    expect(otherBrowser.body).toContain('another browser');
  });

  it('an Instagram state is not a Facebook one', async () => {
    const start = await w.t.app.inject({ method: 'GET', url: '/oauth/instagram/authorize' });
    const state = new URL(String(start.headers.location)).searchParams.get('state') ?? '';
    const res = await w.t.app.inject({
      method: 'GET',
      url: `/oauth/facebook/callback?code=x&state=${state}`,
      cookies: Object.fromEntries(start.cookies.map((c) => [c.name, c.value])),
    });
    expect(res.statusCode).toBe(400);
  });

  it('writes nothing when Facebook refuses to subscribe the Page', async () => {
    const { pages } = await facebookPerson(w, 'Unlucky Uma', [{ page: 'Uma Shop', instagram: 'uma_shop' }]);
    await w.control.injectFault({ type: 'error', code: 200, message: '(#200) Permissions error', match: { method: 'POST', pathIncludes: '/subscribed_apps' } });
    const run = await browserFacebookLogin(w, {});
    expect(run.location).toBe('/chat?oauth=error&reason=page_subscribe_failed');
    expect(await db().select().from(accounts).where(eq(accounts.igUserId, pages[0]?.account?.igId ?? ''))).toEqual([]);
    expect(await db().select().from(users).where(eq(users.username, 'uma_shop'))).toEqual([]);
  });

  it('keeps an account’s conversations when it is linked through Instagram and later through its Page: the newest link decides', async () => {
    const { pages } = await facebookPerson(w, 'Switching Sam', [{ page: 'Sam Shop', instagram: 'sam_switch' }]);
    const igId = pages[0]?.account?.igId ?? '';
    const viaInstagram = await browserLogin(w, { igId });
    expect(viaInstagram.location).toMatch(/oauth=success/);
    const before = (await db().select().from(accounts).where(eq(accounts.igUserId, igId)))[0];
    expect(before).toMatchObject({ loginPath: 'instagram_login', facebookPageId: null });

    const viaPage = await browserFacebookLogin(w, {});
    expect(viaPage.location).toMatch(/oauth=success/);
    const after = (await db().select().from(accounts).where(eq(accounts.igUserId, igId)))[0];
    expect(after).toMatchObject({ id: before?.id, loginPath: 'facebook_login', facebookPageId: pages[0]?.page.id });
    expect(after?.tokenExpiresAt).toBeNull();
  });
});

describe('without Facebook Login configured', () => {
  it('answers /oauth/facebook/* with a clear 503 and keeps everything else working', async () => {
    const t = await createTestApp({ WORKERS_ENABLED: 'false' });
    try {
      for (const [method, url] of [
        ['GET', '/oauth/facebook/authorize'],
        ['GET', '/oauth/facebook/callback?code=x&state=y'],
        ['GET', '/oauth/facebook/pages/abcdefghijklmnopqrstuvwx'],
        ['POST', '/oauth/facebook/deauthorize'],
        ['POST', '/oauth/facebook/data-deletion'],
      ] as const) {
        const form = { headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'signed_request=x.y' };
        const res = await t.app.inject({ method, url, ...(method === 'POST' ? form : {}) });
        expect(res.statusCode, url).toBe(503);
        expect(res.json(), url).toMatchObject({ error: { code: 'oauth.facebook_not_configured' } });
      }
      expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });
});
