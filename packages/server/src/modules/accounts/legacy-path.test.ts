import { eq } from 'drizzle-orm';
import { createSimulator, SimClient, type Simulator } from '@threadline/instagram-sim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, setupAdmin, type TestApp } from '../../../test/app.ts';
import { buildApp } from '../../app.ts';
import { commands } from '../../cli/commands.ts';
import { accounts } from '../../db/schema/index.ts';
import { jobs } from '../../jobs/registry.ts';

/** The old single account configured with a Page token (INSTAGRAM_PAGE_ACCESS_TOKEN), as the old system ran it. */
describe('the legacy account with a Page token', () => {
  let sim: Simulator;
  let control: SimClient;
  let simUrl: string;
  let t: TestApp;
  let igId: string;
  let pageId: string;
  let pageToken: string;
  let customerIgsid: string;
  beforeAll(async () => {
    sim = createSimulator({ deliveryTickMs: 0 });
    simUrl = await sim.listen(0);
    control = new SimClient(simUrl);
    const app = await control.createApp({ secret: 'legacy-app-secret' });
    const account = await control.createAccount({ username: 'old_page_shop', name: 'Old Page Shop' });
    igId = account.igId;
    const person = await control.facebook.createUser({ name: 'Old Owner' });
    const page = await control.facebook.createPage({ name: 'Old Page', managers: [person.id], igAccountId: igId });
    pageId = page.id;
    pageToken = (await control.facebook.issuePageToken({ appId: app.id, userId: person.id, pageId })).access_token;
    const customer = await control.createCustomer({ username: 'loyal_customer' });
    customerIgsid = customer.igsid;
    await control.sendText(customer.igsid, igId, 'Hello old shop');
    t = await createTestApp({
      INSTAGRAM_GRAPH_URL: simUrl,
      INSTAGRAM_API_URL: simUrl,
      FACEBOOK_GRAPH_URL: control.facebook.url,
      INSTAGRAM_BUSINESS_ACCOUNT_ID: igId,
      INSTAGRAM_PAGE_ACCESS_TOKEN: pageToken,
      WORKERS_ENABLED: 'false',
    });
  });
  afterAll(async () => {
    await t.close();
    await sim.close();
  });

  const rowOf = async () => (await t.database.db.select().from(accounts).where(eq(accounts.igUserId, igId)))[0];

  it('finds out at start that the token belongs to graph.facebook.com (auto) and records the Page and the profile', async () => {
    expect(await rowOf()).toMatchObject({ loginPath: null, username: `instagram_${igId}` });
    expect(await t.services.legacyAccount.pendingDetection()).toMatchObject({ status: 'active' });
    // `threadline doctor`'s look finds the same host and records nothing.
    const checked = await t.services.accountGraphs.forCheck((await rowOf())?.id ?? '');
    expect(checked && 'client' in checked ? checked.client.path : checked).toBe('facebook_login');
    expect(await rowOf()).toMatchObject({ loginPath: null, username: `instagram_${igId}` });
    await t.startWorkers();
    await t.queue.runPending(jobs.accountsDetectLegacyPath);
    expect(await rowOf()).toMatchObject({
      loginPath: 'facebook_login',
      facebookPageId: pageId,
      facebookPageName: 'Old Page',
      username: 'old_page_shop',
      name: 'Old Page Shop',
      status: 'active',
    });
    expect(await t.services.legacyAccount.pendingDetection()).toBeNull();
  });

  it('answers a customer through graph.facebook.com with the configured Page token', async () => {
    const client = await t.services.accountGraphs.forAccount((await rowOf())?.id ?? '');
    expect(client?.path).toBe('facebook_login');
    await client?.sendMessage({ recipient: { id: customerIgsid }, message: { text: 'Still here!' } });
    expect((await control.outbox({ recipientId: customerIgsid })).map((o) => o.body.message)).toEqual([{ text: 'Still here!' }]);
    expect(await rowOf()).toMatchObject({ status: 'active' });
  });

  it('imports it with its path, Page and profile, so it appears as @old_page_shop', async () => {
    const admin = await setupAdmin(t);
    const out = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const code = await commands['import-legacy-account']?.run({
      config: t.config,
      values: {},
      buildApp: (config) => buildApp(config, { database: t.database, logger: t.log }),
    });
    expect(code).toBe(0);
    expect(out.mock.calls.flat().join(' ')).toContain('Imported @old_page_shop');
    expect(out.mock.calls.flat().join(' ')).toContain('through the Facebook Page "Old Page" (graph.facebook.com)');
    out.mockRestore();
    const row = await rowOf();
    expect(row).toMatchObject({ loginPath: 'facebook_login', facebookPageId: pageId, username: 'old_page_shop', status: 'active' });
    expect(t.vault.decrypt(row?.accessTokenEncrypted ?? '')).toBe(pageToken);
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/accounts/me', headers: { authorization: `Bearer ${admin.token}` } });
    expect(list.json()).toMatchObject({
      accounts: [{ username: 'old_page_shop', is_legacy: true, login_path: 'facebook_login', facebook_page: { id: pageId, name: 'Old Page' }, role: 'owner' }],
    });
  });
});

describe('a legacy token that neither Meta host takes', () => {
  let sim: Simulator;
  let t: TestApp;
  beforeAll(async () => {
    sim = createSimulator({ deliveryTickMs: 0 });
    const url = await sim.listen(0);
    const control = new SimClient(url);
    const account = await control.createAccount({ username: 'lost_shop' });
    t = await createTestApp({
      INSTAGRAM_GRAPH_URL: url,
      FACEBOOK_GRAPH_URL: control.facebook.url,
      INSTAGRAM_BUSINESS_ACCOUNT_ID: account.igId,
      INSTAGRAM_PAGE_ACCESS_TOKEN: 'EAAnot-a-token-anyone-issued',
      WORKERS_ENABLED: 'false',
    });
  });
  afterAll(async () => {
    await t.close();
    await sim.close();
  });

  it('keeps the server running and shows reauth_required with both answers', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    const [row] = await t.database.db.select().from(accounts).where(eq(accounts.isLegacy, true));
    expect(await t.services.accountGraphs.forAccount(row?.id ?? '')).toBeNull();
    const [after] = await t.database.db.select().from(accounts).where(eq(accounts.isLegacy, true));
    expect(after?.status).toBe('reauth_required');
    expect(after?.statusReason).toMatch(/^Neither Meta host takes the configured token for Instagram account \d+\. graph\.facebook\.com: .*\(190\)\. graph\.instagram\.com: .*\(190\)\.$/);
    expect(after?.statusReason).not.toContain('EAAnot');
  });
});

describe('INSTAGRAM_LEGACY_API set explicitly', () => {
  it('takes the configured path without asking Meta', async () => {
    const t = await createTestApp({
      INSTAGRAM_BUSINESS_ACCOUNT_ID: '17841400000000777',
      INSTAGRAM_PAGE_ACCESS_TOKEN: 'EAA-configured-page-token',
      INSTAGRAM_LEGACY_API: 'facebook',
      // Unreachable on purpose: nothing is asked.
      FACEBOOK_GRAPH_URL: 'http://127.0.0.1:9',
      INSTAGRAM_GRAPH_URL: 'http://127.0.0.1:9',
      WORKERS_ENABLED: 'false',
    });
    try {
      const [row] = await t.database.db.select().from(accounts).where(eq(accounts.isLegacy, true));
      expect(row).toMatchObject({ loginPath: 'facebook_login', status: 'active' });
      expect(await t.services.legacyAccount.pendingDetection()).toBeNull();
      expect((await t.services.accountGraphs.forAccount(row?.id ?? ''))?.path).toBe('facebook_login');
    } finally {
      await t.close();
    }
  });
});
