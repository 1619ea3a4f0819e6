import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_FACEBOOK_OAUTH_SCOPES } from '@threadline/contract';
import { bindAccountGraph } from './account-graph.ts';
import { createFacebookClient, type FacebookClient } from './facebook-client.ts';
import { classifyGraphError, GraphApiError, GraphClientConfigError } from './graph-client.ts';
import { clientFor, GRAPH_VERSION, startSim } from './graph-test-world.ts';
import type { SimHarness } from './graph-test-world.ts';

const REDIRECT = 'https://threadline.test/oauth/facebook/callback';
let h: SimHarness;
beforeEach(async () => {
  h = await startSim();
});
afterEach(async () => h.close());

function logged() {
  const lines: string[] = [];
  const log = pino({ level: 'debug' }, new Writable({ write: (chunk: Buffer, _enc, done) => void (lines.push(chunk.toString()), done()) }));
  return { lines, log };
}

async function setup(pageCount: number, overrides: Partial<Parameters<typeof createFacebookClient>[0]> = {}) {
  const app = await h.control.createApp({ redirectUris: [REDIRECT] });
  const person = await h.control.facebook.createUser({ name: 'Page Person' });
  await h.control.facebook.setSession(person.id);
  const pages = [];
  for (let i = 0; i < pageCount; i += 1) {
    const account = i % 2 === 0 ? await h.control.createAccount({ username: `page_ig_${i}` }) : null;
    pages.push({ page: await h.control.facebook.createPage({ name: `Page ${i}`, managers: [person.id], igAccountId: account?.igId ?? null }), account });
  }
  const { lines, log } = logged();
  const client = createFacebookClient({
    dialogUrl: h.control.facebook.url,
    graphUrl: h.control.facebook.url,
    graphVersion: GRAPH_VERSION,
    appId: app.metaAppId,
    appSecret: app.metaAppSecret,
    log,
    ...overrides,
  });
  return { app, person, pages, client, lines };
}

async function userToken(client: FacebookClient) {
  const url = client.buildDialogUrl({ redirectUri: REDIRECT, scopes: DEFAULT_FACEBOOK_OAUTH_SCOPES, state: 'st' });
  const consent = await h.control.facebook.dialog(url);
  const short = await client.exchangeCode({ code: `${consent.code ?? ''}#_=_`, redirectUri: REDIRECT });
  return { short, long: await client.exchangeForLongLived(short.accessToken) };
}

describe('the graph.facebook.com client', () => {
  it('builds the Login dialog URL with the Meta app id, and asks declined permissions again only when told', async () => {
    const { app, client } = await setup(0);
    const url = new URL(client.buildDialogUrl({ redirectUri: REDIRECT, scopes: ['instagram_basic', 'pages_show_list'], state: 's1' }));
    expect(url.pathname).toBe(`/facebook/${GRAPH_VERSION}/dialog/oauth`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: app.metaAppId,
      redirect_uri: REDIRECT,
      state: 's1',
      response_type: 'code',
      scope: 'instagram_basic,pages_show_list',
    });
    expect(new URL(client.buildDialogUrl({ redirectUri: REDIRECT, scopes: [], state: 's', rerequest: true })).searchParams.get('auth_type')).toBe('rerequest');
    expect(() => createFacebookClient({ dialogUrl: 'https://x.test', graphUrl: 'https://x.test', graphVersion: GRAPH_VERSION }).buildDialogUrl({ redirectUri: REDIRECT, scopes: [], state: 's' })).toThrow(
      GraphClientConfigError,
    );
  });

  it('exchanges the code (#_=_ stripped) and the long-lived token, reads the person and their permissions; no token reaches the log', async () => {
    const { person, client, lines, app } = await setup(1);
    const { short, long } = await userToken(client);
    expect(short.expiresIn).toBe(3600);
    expect(long.expiresIn).toBeGreaterThan(59 * 86_400);
    expect(await client.getUser(long.accessToken)).toEqual({ id: person.id, name: 'Page Person' });
    const permissions = await client.getPermissions(long.accessToken);
    expect(permissions).toContainEqual({ permission: 'instagram_manage_messages', status: 'granted' });
    const log = lines.join('');
    for (const secret of [short.accessToken, long.accessToken, app.metaAppSecret]) expect(log).not.toContain(secret);
    expect(log).toContain('/oauth/access_token');
  });

  it('lists every Page across pages of results, with the linked Instagram account and a Page token', async () => {
    const { pages, client } = await setup(105);
    const { long } = await userToken(client);
    const listed = await client.listPages(long.accessToken);
    expect(listed).toHaveLength(105);
    expect(listed[0]).toMatchObject({ id: pages[0]?.page.id, name: 'Page 0', instagram: { igUserId: pages[0]?.account?.igId, username: 'page_ig_0' }, accessToken: expect.stringMatching(/^EAA/) });
    expect(listed[1]).toMatchObject({ name: 'Page 1', instagram: null });
    const page = await client.getPage(listed[104]?.accessToken ?? '');
    expect(page).toMatchObject({ id: pages[104]?.page.id, name: 'Page 104', instagram: { username: 'page_ig_104' } });
  });

  it('classifies a wrong app secret as permanent and an Instagram token on graph.facebook.com as reauth (190)', async () => {
    const { client, pages } = await setup(1, { appSecret: 'wrong' });
    const consent = await h.control.facebook.dialog(client.buildDialogUrl({ redirectUri: REDIRECT, scopes: DEFAULT_FACEBOOK_OAUTH_SCOPES, state: 's' }));
    const refused = await client.exchangeCode({ code: consent.code ?? '', redirectUri: REDIRECT }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(GraphApiError);
    expect(refused).toMatchObject({ failure: 'graph', code: 1 });

    const app = (await h.control.state()).apps[0];
    const igToken = (await h.control.issueToken({ appId: app?.id ?? '', accountId: pages[0]?.account?.igId ?? '' })).access_token;
    const onFacebook = await client.getPage(igToken).catch((e: unknown) => e);
    expect(classifyGraphError(onFacebook)).toBe('reauth');
  });
});

describe('the account-bound client', () => {
  it('sends through the Page on graph.facebook.com for facebook_login and through the account on graph.instagram.com for instagram_login', async () => {
    const { app, person, pages, client: facebook } = await setup(1);
    const account = pages[0]?.account;
    const customer = await h.control.createCustomer({ username: 'bound_customer' });
    await h.control.sendText(customer.igsid, account?.igId ?? '', 'hi');
    const pageToken = (await h.control.facebook.issuePageToken({ appId: app.id, userId: person.id, pageId: pages[0]?.page.id ?? '' })).access_token;
    const igToken = (await h.control.issueToken({ appId: app.id, accountId: account?.igId ?? '' })).access_token;
    const hosts = { instagram: clientFor(h.url), facebook };
    const viaPage = bindAccountGraph(hosts, { path: 'facebook_login', accessToken: pageToken, igUserId: account?.igId ?? '', facebookPageId: pages[0]?.page.id ?? null });
    const viaInstagram = bindAccountGraph(hosts, { path: 'instagram_login', accessToken: igToken, igUserId: account?.igId ?? '', facebookPageId: null });
    await viaPage.sendMessage({ recipient: { id: customer.igsid }, message: { text: 'via the Page' } });
    await viaInstagram.sendMessage({ recipient: { id: customer.igsid }, message: { text: 'via Instagram' } });
    expect((await h.control.outbox({ recipientId: customer.igsid })).map((o) => o.body.message)).toEqual([{ text: 'via the Page' }, { text: 'via Instagram' }]);
    expect(await viaPage.subscribe()).toBe(true);
    expect((await h.control.facebook.pageSubscriptions()).map((s) => s.pageId)).toEqual([pages[0]?.page.id]);
    expect(await viaPage.readProfile()).toMatchObject({ igUserId: account?.igId, username: 'page_ig_0', page: { id: pages[0]?.page.id, name: 'Page 0' } });
    expect(await viaInstagram.readProfile()).toMatchObject({ igUserId: account?.igId, username: 'page_ig_0', page: null });
    // Swapped tokens are refused by each host with 190.
    const swapped = bindAccountGraph(hosts, { path: 'instagram_login', accessToken: pageToken, igUserId: account?.igId ?? '', facebookPageId: null });
    expect(classifyGraphError(await swapped.readProfile().catch((e: unknown) => e))).toBe('reauth');
  });
});
