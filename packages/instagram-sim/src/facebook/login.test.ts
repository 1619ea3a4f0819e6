import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { graph, startSim } from '../../test/harness.ts';
import type { Harness } from '../../test/harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await startSim();
});
afterEach(async () => h.close());

const REDIRECT = 'https://threadline.test/oauth/facebook/callback';
const SCOPES = 'instagram_basic,instagram_manage_messages,pages_manage_metadata,pages_show_list,pages_read_engagement,business_management';

async function world(pageCount = 2) {
  const app = await h.client.createApp({ redirectUris: [REDIRECT] });
  const person = await h.client.facebook.createUser({ name: 'Maria Rossi' });
  await h.client.facebook.setSession(person.id);
  const accounts = await Promise.all(Array.from({ length: pageCount }, (_, i) => h.client.createAccount({ username: `shop_${i}` })));
  const pages = [];
  for (const [i, account] of accounts.entries()) {
    pages.push(await h.client.facebook.createPage({ name: `Shop ${i}`, managers: [person.id], igAccountId: account.igId }));
  }
  const dialogUrl = (extra: Record<string, string> = {}) =>
    `${h.url}/facebook/v25.0/dialog/oauth?${new URLSearchParams({ client_id: app.metaAppId, redirect_uri: REDIRECT, state: 's1', response_type: 'code', scope: SCOPES, ...extra }).toString()}`;
  return { app, person, accounts, pages, dialogUrl };
}

const tokenUrl = (params: Record<string, string>) => `/facebook/v25.0/oauth/access_token?${new URLSearchParams(params).toString()}`;

async function login(w: Awaited<ReturnType<typeof world>>, options: Parameters<Harness['client']['facebook']['dialog']>[1] = {}) {
  const consent = await h.client.facebook.dialog(w.dialogUrl(), options);
  const short = await graph(h.url, tokenUrl({ client_id: w.app.metaAppId, client_secret: w.app.metaAppSecret, redirect_uri: REDIRECT, code: consent.code ?? '' }));
  const shortToken = (short.body as { access_token: string }).access_token;
  const long = await graph(h.url, tokenUrl({ grant_type: 'fb_exchange_token', client_id: w.app.metaAppId, client_secret: w.app.metaAppSecret, fb_exchange_token: shortToken }));
  return { consent, short, long, userToken: (long.body as { access_token: string }).access_token };
}

describe('Facebook Login in the simulator', () => {
  it('runs the dialog, the code exchange and the long-lived exchange; the code comes back with #_=_ and works once', async () => {
    const w = await world();
    const { consent, short, long } = await login(w);
    expect(consent.location).toMatch(/^https:\/\/threadline\.test\/oauth\/facebook\/callback\?code=.+&state=s1#_=_$/);
    expect(short.body).toMatchObject({ access_token: expect.stringMatching(/^EAA/), token_type: 'bearer', expires_in: 3600 });
    expect(long.body).toMatchObject({ access_token: expect.stringMatching(/^EAA/), expires_in: 5_183_944 });
    const again = await graph(h.url, tokenUrl({ client_id: w.app.metaAppId, client_secret: w.app.metaAppSecret, redirect_uri: REDIRECT, code: consent.code ?? '' }));
    expect(again.body).toMatchObject({ error: { code: 100, error_subcode: 36009 } });
  });

  it('refuses a wrong secret, a different redirect_uri and an unknown redirect in the dialog', async () => {
    const w = await world(1);
    const consent = await h.client.facebook.dialog(w.dialogUrl());
    const badSecret = await graph(h.url, tokenUrl({ client_id: w.app.metaAppId, client_secret: 'nope', redirect_uri: REDIRECT, code: consent.code ?? '' }));
    expect(badSecret.body).toMatchObject({ error: { code: 1 } });
    const badRedirect = await graph(h.url, tokenUrl({ client_id: w.app.metaAppId, client_secret: w.app.metaAppSecret, redirect_uri: `${REDIRECT}x`, code: consent.code ?? '' }));
    expect(badRedirect.body).toMatchObject({ error: { code: 100, error_subcode: 36008 } });
    await expect(h.client.facebook.dialog(w.dialogUrl({ redirect_uri: 'https://evil.test/cb' }))).rejects.toThrow(/redirect URI is not whitelisted/);
    await expect(h.client.facebook.dialog(w.dialogUrl({ scope: 'instagram_business_basic' }))).rejects.toThrow(/Invalid Scopes/);
  });

  it('Cancel redirects with access_denied and the state', async () => {
    const w = await world(1);
    const consent = await h.client.facebook.dialog(w.dialogUrl(), { action: 'cancel' });
    expect(consent).toMatchObject({ error: 'access_denied', state: 's1', code: null });
    expect(consent.location).toContain('error_reason=user_denied');
  });

  it('answers /me, /me/permissions with declined permissions, and asks a declined one again only with auth_type=rerequest', async () => {
    const w = await world(1);
    const { userToken } = await login(w, { decline: ['instagram_manage_messages'] });
    expect((await graph(h.url, '/facebook/v25.0/me?fields=id,name', { token: userToken })).body).toEqual({ id: w.person.id, name: 'Maria Rossi' });
    const permissions = (await graph(h.url, '/facebook/v25.0/me/permissions', { token: userToken })).body as { data: { permission: string; status: string }[] };
    expect(permissions.data).toContainEqual({ permission: 'instagram_manage_messages', status: 'declined' });
    expect(permissions.data).toContainEqual({ permission: 'pages_show_list', status: 'granted' });

    const plain = await (await fetch(w.dialogUrl())).text();
    expect(plain).toMatch(/name="perm_instagram_manage_messages" value="on" disabled/);
    const rerequest = await (await fetch(w.dialogUrl({ auth_type: 'rerequest' }))).text();
    expect(rerequest).toMatch(/name="perm_instagram_manage_messages" value="on" checked/);
    const { userToken: second } = await login({ ...w, dialogUrl: (extra = {}) => w.dialogUrl({ auth_type: 'rerequest', ...extra }) });
    const after = (await graph(h.url, '/facebook/v25.0/me/permissions', { token: second })).body as { data: { permission: string; status: string }[] };
    expect(after.data).toContainEqual({ permission: 'instagram_manage_messages', status: 'granted' });
  });

  it('lists the chosen Pages with their Instagram accounts and never-expiring Page tokens, paged', async () => {
    const w = await world(3);
    const { userToken } = await login(w, { pageIds: [w.pages[0]?.id ?? '', w.pages[2]?.id ?? ''] });
    const fields = 'id,name,access_token,instagram_business_account{id,username,name,profile_picture_url}';
    const first = (await graph(h.url, `/facebook/v25.0/me/accounts?fields=${fields}&limit=1`, { token: userToken })).body as {
      data: { id: string; access_token: string; instagram_business_account: { id: string; username: string } }[];
      paging: { cursors: { after: string }; next?: string };
    };
    expect(first.data).toEqual([expect.objectContaining({ id: w.pages[0]?.id, name: 'Shop 0', instagram_business_account: expect.objectContaining({ id: w.accounts[0]?.igId, username: 'shop_0' }) })]);
    expect(first.paging.next).toContain('/facebook/v25.0/me/accounts');
    const second = (await graph(h.url, `/facebook/v25.0/me/accounts?fields=${fields}&limit=1&after=${first.paging.cursors.after}`, { token: userToken })).body as { data: { id: string }[]; paging: { next?: string } };
    expect(second.data.map((p) => p.id)).toEqual([w.pages[2]?.id]);
    expect(second.paging.next).toBeUndefined();

    const pageToken = first.data[0]?.access_token ?? '';
    const debug = await graph(h.url, `/facebook/v25.0/debug_token?input_token=${pageToken}&access_token=${w.app.metaAppId}|${w.app.metaAppSecret}`);
    expect(debug.body).toMatchObject({ data: { type: 'PAGE', is_valid: true, expires_at: 0, profile_id: w.pages[0]?.id, scopes: expect.arrayContaining(['instagram_manage_messages']) } });
    await h.client.advanceClock({ advanceDays: 90 });
    expect((await graph(h.url, '/facebook/v25.0/me?fields=id,name', { token: pageToken })).body).toEqual({ id: w.pages[0]?.id, name: 'Shop 0' });
  });

  it('leaves instagram_business_account out for a Page without an Instagram account', async () => {
    const w = await world(0);
    await h.client.facebook.createPage({ name: 'Bakery', managers: [w.person.id] });
    const { userToken } = await login(w);
    const list = (await graph(h.url, '/facebook/v25.0/me/accounts?fields=id,name,instagram_business_account{id}', { token: userToken })).body;
    expect(list).toMatchObject({ data: [{ name: 'Bakery' }] });
    expect(JSON.stringify(list)).not.toContain('instagram_business_account');
  });
});
