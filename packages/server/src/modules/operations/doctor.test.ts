import http from 'node:http';
import net from 'node:net';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../test/cli.ts';
import { createFacebookWorld } from '../../../test/facebook-world.ts';
import { createAccount } from '../../../test/factories.ts';
import { createSimWorld, type SimWorld } from '../../../test/sim-world.ts';
import { loadConfig } from '../../config.ts';
import { openDatabase } from '../../db/client.ts';
import { pendingMigrations, runMigrations } from '../../db/migrate.ts';
import { accounts, crmDeliveries, crmDeliveryAttempts } from '../../db/schema/index.ts';
import { formatFindings } from '../../cli/doctor-command.ts';
import { accountFindings, clockFindings, configurationFindings, crmFindings, databaseFindings, reachabilityFindings } from './doctor.ts';
import { probeHost } from './host-probe.ts';

/** A loopback listener for the length of `use`: its port. */
async function listening<T>(server: net.Server, use: (port: number) => Promise<T>): Promise<T> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const address = server.address();
    return await use(typeof address === 'object' && address ? address.port : 0);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('threadline doctor', () => {
  let w: SimWorld;
  beforeAll(async () => {
    w = await createSimWorld();
  });
  afterAll(async () => w.close());

  it('finds a healthy account, one Instagram refused, one not subscribed to webhooks, and says what to do', async () => {
    const db = w.t.database.db;
    const unsubscribed = await w.control.createAccount({ username: 'quiet_shop', name: 'Quiet' });
    const { access_token: token } = await w.control.issueToken({ appId: w.appId, accountId: unsubscribed.igId });
    const quiet = await createAccount(db, { igUserId: unsubscribed.igId, username: 'quiet_shop' });
    await db.update(accounts).set({ accessTokenEncrypted: w.t.vault.encrypt(token), tokenExpiresAt: new Date(Date.now() + 50 * 86_400_000) }).where(eq(accounts.id, quiet.id));
    await createAccount(db, { username: 'revoked_shop' }).then((a) => db.update(accounts).set({ status: 'reauth_required' }).where(eq(accounts.id, a.id)));

    const found = await accountFindings({ repo: w.t.services.operations, tokens: w.t.services.accountTokens, graphs: w.t.services.accountGraphs, appIds: { instagram_login: w.appId } });
    const by = (name: string) => found.filter((f) => f.area === `account @${name}`);
    expect(by('acme_shop')).toEqual([expect.objectContaining({ status: 'ok', message: expect.stringMatching(/token valid on graph\.instagram\.com .*subscribed to .*messages/) })]);
    expect(by('quiet_shop')).toEqual([expect.objectContaining({ status: 'fail', message: expect.stringContaining('not subscribed'), fix: expect.stringContaining('Reconnect') })]);
    expect(by('revoked_shop')).toEqual([expect.objectContaining({ status: 'fail', fix: expect.stringContaining('Reconnect') })]);
    // the stranger's account has no token at all
    expect(found.some((f) => f.status === 'fail' && f.message === 'no token stored')).toBe(true);
  });

  it('checks an account linked through its Facebook Page on graph.facebook.com with its Page token, and names a revoked one', async () => {
    const fb = await createFacebookWorld();
    try {
      const check = () =>
        accountFindings({
          repo: fb.t.services.operations,
          tokens: fb.t.services.accountTokens,
          graphs: fb.t.services.accountGraphs,
          appIds: { instagram_login: fb.appId, facebook_login: fb.metaAppId },
        });
      // graph.instagram.com refuses a Page token (190): an ok finding means the checks went to graph.facebook.com.
      expect(await check()).toEqual([
        expect.objectContaining({
          area: 'account @corner_shop',
          status: 'ok',
          message: expect.stringMatching(/^token valid on graph\.facebook\.com \(no expiry\), through the Facebook Page "Corner Shop", subscribed to messages/),
        }),
      ]);
      await fb.control.facebook.revokePageTokens(fb.pageId, { subcode: 460 });
      expect(await check()).toEqual([expect.objectContaining({ area: 'account @corner_shop', status: 'fail', message: 'Meta refused its token', fix: expect.stringContaining('Continue with Facebook') })]);
    } finally {
      await fb.close();
    }
  });

  it('reports a disabled CRM endpoint with its reason and how to re-enable it, and a healthy one as healthy', async () => {
    const db = w.t.database.db;
    await db.update(accounts).set({ crmWebhookUrl: 'https://crm.example.com/hook' }).where(eq(accounts.id, w.accountId));
    expect(await crmFindings(w.t.services.operations)).toEqual([expect.objectContaining({ area: 'crm @acme_shop', status: 'ok', message: expect.stringContaining('healthy') })]);
    await db.update(accounts).set({ crmDisabledAt: new Date(), crmDisabledReason: 'The endpoint answered 410 Gone' }).where(eq(accounts.id, w.accountId));
    const [disabled] = await crmFindings(w.t.services.operations);
    expect(disabled).toMatchObject({ status: 'fail', message: expect.stringContaining('410 Gone'), fix: expect.stringContaining('re-enable') });
    // failing for two hours but not yet disabled: a warning with how long, and where to look
    await db.update(accounts).set({ crmDisabledAt: null, crmDisabledReason: null, crmFailingSince: new Date(Date.now() - 2 * 3_600_000) }).where(eq(accounts.id, w.accountId));
    const [failing] = await crmFindings(w.t.services.operations);
    expect(failing).toMatchObject({ status: 'warn', message: expect.stringMatching(/every delivery has failed for 12\d min/), fix: expect.stringContaining('delivery log') });
  });

  it("counts the day's CRM successes kept in their deliveries and the failed attempts' rows", async () => {
    const db = w.t.database.db;
    await db.update(accounts).set({ crmWebhookUrl: 'https://crm.example.com/hook', crmFailingSince: null }).where(eq(accounts.id, w.accountId));
    const at = new Date();
    const base = { accountId: w.accountId, eventType: 'ping', payload: {}, createdAt: at, lastAttemptAt: at };
    await db.insert(crmDeliveries).values([
      // succeeded after one failed attempt (its row), the success kept in the delivery
      { ...base, id: 'msg_doctor_a', status: 'succeeded', lastStatusCode: 200, lastDurationMs: 12, succeededAt: at },
      // succeeded before migration 0016: its success is an attempt row, and not counted twice
      { ...base, id: 'msg_doctor_b', status: 'succeeded', lastStatusCode: 204, succeededAt: at },
    ]);
    await db.insert(crmDeliveryAttempts).values([
      { deliveryId: 'msg_doctor_a', attemptedAt: at, statusCode: 500, durationMs: 3 },
      { deliveryId: 'msg_doctor_b', attemptedAt: at, statusCode: 204, durationMs: 4 },
    ]);
    const [finding] = await crmFindings(w.t.services.operations);
    expect(finding).toMatchObject({ status: 'ok', message: expect.stringContaining('2 delivered, 1 failed attempts in 24 h') });
  });

  it('checks Meta\'s hosts by DNS, then TCP and a verified TLS handshake, and reads the server\'s clock', async () => {
    const unresolved = await probeHost('https://threadline-doctor.invalid');
    // a plain-text answer where TLS was expected (read to the end, so the server sees the probe hang up)
    const notTls = await listening(net.createServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n').resume()), (port) => probeHost(`https://127.0.0.1:${port}`));
    const closed = await listening(net.createServer(), async (port) => port).then((port) => probeHost(`http://127.0.0.1:${port}`));
    const answering = await listening(http.createServer((_req, res) => res.writeHead(400).end()), (port) => probeHost(`http://127.0.0.1:${port}/v23.0`));
    expect(answering.date?.getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(reachabilityFindings([unresolved, notTls, closed, answering])).toEqual([
      expect.objectContaining({ status: 'fail', message: expect.stringMatching(/^https:\/\/threadline-doctor\.invalid: DNS lookup failed/), fix: expect.stringContaining('resolver') }),
      expect.objectContaining({ status: 'fail', message: expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+: TLS: /), fix: expect.stringContaining('intercepting proxy') }),
      expect.objectContaining({ status: 'fail', message: expect.stringContaining('ECONNREFUSED') }),
      expect.objectContaining({ status: 'ok', message: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+ reachable \(1 addresses\)$/) }),
    ]);
  });

  it('names the migrations a database lacks, and says how to apply them', async () => {
    const database = await openDatabase({ kind: 'pglite', dataDir: null });
    try {
      const pending = await pendingMigrations(database);
      expect(pending.length).toBeGreaterThan(0);
      expect(databaseFindings({ engine: 'pglite', pendingMigrations: pending })).toEqual([
        expect.objectContaining({ status: 'ok', message: 'pglite reachable' }),
        expect.objectContaining({ status: 'fail', message: expect.stringContaining(`${pending.length} migrations not applied (${pending[0]}`), fix: expect.stringContaining('threadline migrate') }),
      ]);
      await runMigrations(database);
      expect(await pendingMigrations(database)).toEqual([]);
      expect(databaseFindings({ engine: 'pglite', pendingMigrations: [] })).toEqual([
        expect.objectContaining({ status: 'ok' }),
        expect.objectContaining({ status: 'ok', message: 'migrations up to date' }),
      ]);
    } finally {
      await database.close();
    }
  });

  it('flags a clock more than five minutes off, and a public http URL or a missing app secret', () => {
    const now = new Date('2026-01-01T12:00:00Z');
    expect(clockFindings({ now, database: new Date('2026-01-01T12:00:02Z'), meta: null })).toEqual([expect.objectContaining({ status: 'ok' })]);
    expect(clockFindings({ now, database: null, meta: new Date('2026-01-01T11:50:00Z') })).toEqual([
      expect.objectContaining({ status: 'fail', message: expect.stringContaining("600 s ahead of Meta's servers") }),
    ]);
    const found = configurationFindings(loadConfig({ PUBLIC_BASE_URL: 'http://inbox.example.com', INSTAGRAM_VERIFY_TOKEN: 'v' }));
    expect(found.filter((f) => f.status === 'fail').map((f) => f.message)).toEqual([
      expect.stringContaining('Meta requires https'),
      expect.stringContaining('no Meta app secret'),
    ]);
    expect(formatFindings(found)).toMatch(/FAIL {2}configuration +PUBLIC_BASE_URL is http:\/\/inbox\.example\.com[^\n]*\n +fix: serve Threadline behind TLS/);
  });

  it('runs as a command: every problem with its fix, exit 1 when something must be fixed', async () => {
    const res = await runCli(['doctor', '--offline'], { DATA_DIR: '/nonexistent/threadline-doctor', INSTAGRAM_OAUTH_CLIENT_SECERT: 'x' });
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('did you mean INSTAGRAM_OAUTH_CLIENT_SECRET?');
    expect(res.stdout).toContain('no Meta app secret');
    expect(res.stdout).toContain('no embedded database in /nonexistent/threadline-doctor/pglite yet');
    expect(res.stdout).toMatch(/\d+ to fix, \d+ to look at\./);
  });
});
