import { eq } from 'drizzle-orm';
import { createSimulator, SimClient, type Simulator } from '@threadline/instagram-sim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, setupAdmin, type TestApp } from '../../../test/app.ts';
import { buildApp } from '../../app.ts';
import { commands } from '../../cli/commands.ts';
import { loadConfig } from '../../config.ts';
import { accounts, userAccounts } from '../../db/schema/index.ts';

describe('the legacy single account and `threadline import-legacy-account`', () => {
  let sim: Simulator;
  let control: SimClient;
  let t: TestApp;
  let igId: string;
  let token: string;
  beforeAll(async () => {
    sim = createSimulator({ deliveryTickMs: 0 });
    const url = await sim.listen(0);
    control = new SimClient(url);
    const app = await control.createApp({ secret: 'legacy-app-secret' });
    const account = await control.createAccount({ username: 'old_shop', name: 'Old Shop' });
    igId = account.igId;
    token = (await control.issueToken({ appId: app.id, accountId: igId })).access_token;
    t = await createTestApp({
      INSTAGRAM_GRAPH_URL: url,
      INSTAGRAM_API_URL: url,
      FACEBOOK_GRAPH_URL: control.facebook.url,
      INSTAGRAM_BUSINESS_ACCOUNT_ID: igId,
      INSTAGRAM_PAGE_ACCESS_TOKEN: token,
      WORKERS_ENABLED: 'false',
    });
  });
  afterAll(async () => {
    await t.close();
    await sim.close();
  });

  const run = () =>
    commands['import-legacy-account']?.run({
      config: t.config,
      values: {},
      buildApp: (config) => buildApp(config, { database: t.database, logger: t.log }),
    });
  const rowOf = async () => (await t.database.db.select().from(accounts).where(eq(accounts.igUserId, igId)))[0];

  it('keeps the configured account working before the import: its webhooks have an account, its token comes from configuration', async () => {
    const row = await rowOf();
    expect(row).toMatchObject({ isLegacy: true, accessTokenEncrypted: null, status: 'active', loginPath: null });
    expect(await t.services.accountTokens.tokenFor(row?.id ?? '')).toBe(token);
    // Its token is an Instagram one: graph.facebook.com refuses it, graph.instagram.com names the account.
    const client = await t.services.accountGraphs.forAccount(row?.id ?? '');
    expect(client?.path).toBe('instagram_login');
    expect(await rowOf()).toMatchObject({ loginPath: 'instagram_login', username: 'old_shop', status: 'active' });
  });

  it('asks for an administrator first when there is none', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await run()).toBe(1);
    expect(errors.mock.calls.flat().join(' ')).toContain('Create an administrator first');
    errors.mockRestore();
  });

  it('moves the account into the database (token encrypted, first administrator owner and primary), idempotently', async () => {
    const admin = await setupAdmin(t);
    const out = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    expect(await run()).toBe(0);
    const row = await rowOf();
    expect(row?.accessTokenEncrypted).toBeTruthy();
    expect(row?.accessTokenEncrypted).not.toContain(token);
    expect(t.vault.decrypt(row?.accessTokenEncrypted ?? '')).toBe(token);
    expect(row).toMatchObject({ username: 'old_shop', name: 'Old Shop', isLegacy: true, loginPath: 'instagram_login', facebookPageId: null });
    expect(out.mock.calls.flat().join(' ')).toContain('through Instagram Login (graph.instagram.com)');
    const members = await t.database.db.select().from(userAccounts).where(eq(userAccounts.accountId, row?.id ?? ''));
    expect(members).toMatchObject([{ userId: admin.user_id, role: 'owner', isPrimary: true }]);

    expect(await run()).toBe(0);
    expect(out.mock.calls.flat().join(' ')).toContain('already in the database');
    out.mockRestore();
    expect((await rowOf())?.accessTokenEncrypted).toBe(row?.accessTokenEncrypted);
    expect(await t.database.db.select().from(userAccounts).where(eq(userAccounts.accountId, row?.id ?? ''))).toHaveLength(1);
  });

  it('keeps working after the configuration values are removed', async () => {
    const config = loadConfig({ SESSION_SECRET: 'test-session-secret-0123456789-abcdefghijklmnopqrstuvwxyz', DATA_DIR: t.config.dataDir });
    const without = await buildApp(config, { database: t.database, logger: t.log });
    try {
      expect(without.config.instagram.legacyAccount).toBeNull();
      expect(await without.services.accountTokens.tokenFor((await rowOf())?.id ?? '')).toBe(token);
    } finally {
      await without.close();
    }
  });
});
