import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, setupAdmin, type TestApp } from '../../../test/app.ts';
import type { ChaosProxy } from '../../../test/chaos-proxy.ts';
import { createProxiedDatabase, type ProxiedDatabase } from '../../../test/proxied-database.ts';
import { envelope, inbound, META_ENV, mid, postSigned } from '../../../test/meta.ts';
import { openDatabase, queryRows, sql, type Database } from '../../db/client.ts';
import { runMigrations } from '../../db/migrate.ts';

const adminUrl = process.env.TEST_DATABASE_URL;

/**
 * The HTTP side of a database outage, on PostgreSQL behind a proxy that refuses and resets connections: Meta is
 * answered 503 (so it retries) and never 200 for an event that was not stored, readiness says not ready, the API
 * answers 503 with a code, and all is well again as soon as the database is back.
 */
describe.skipIf(!adminUrl)('while the database is away (PostgreSQL)', () => {
  let proxied: ProxiedDatabase;
  let proxy: ChaosProxy;
  let database: Database;
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    proxied = await createProxiedDatabase(adminUrl ?? '', 'tl_outage');
    proxy = proxied.proxy;
    database = await openDatabase({ kind: 'postgres', url: proxied.url, poolMax: 4 }, { log: pino({ level: 'silent' }) });
    await runMigrations(database);
    t = await createTestApp({ ...META_ENV, WEBHOOK_ACK_TIMEOUT_MS: '1500' }, { database });
    token = (await setupAdmin(t)).token;
  });

  afterAll(async () => {
    await proxy.accept();
    await t.close();
    await proxied.dispose();
  });

  const post = (text: string) => postSigned(t, envelope('17841400000000009', [inbound('17841400000000009', '9001', Date.now(), { mid: mid(), text })]));

  it('answers Meta 503, readiness 503 and the API 503 with a code, then 200 again once the database is back', async () => {
    expect((await post('before the outage')).statusCode).toBe(200);
    await proxy.refuse();
    proxy.resetAll();

    const refused = await post('during the outage');
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBeDefined();
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
    const api = await t.app.inject({ method: 'GET', url: '/api/v1/accounts/me', headers: { authorization: `Bearer ${token}` } });
    expect(api.statusCode).toBe(503);
    expect(api.json()).toMatchObject({ error: { code: 'database.unavailable' } });

    await proxy.accept();
    expect((await post('after the outage')).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    // nothing of the refused POST was kept; nothing of the message text reached the log
    const [stored] = await queryRows<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from webhook_events where convert_from(body, 'UTF8') like '%during the outage%'`,
    );
    expect(stored?.n).toBe(0);
    expect(t.logLines.join('\n')).not.toContain('the outage');
  });

  it('answers 503 within the acknowledgement timeout when the database stalls, and stores what comes after', async () => {
    const stall = proxy.stall(4_000);
    const at = performance.now();
    const stalled = await post('while stalled');
    expect(stalled.statusCode).toBe(503);
    // answered at the 1.5 s deadline, not when the 4 s stall ends (a little slack for a busy machine)
    expect(performance.now() - at).toBeLessThan(3_000);
    await stall;
    // the stalled insert may still land (Meta then redelivers a duplicate, which ingestion folds); a new POST is stored
    expect((await post('after the stall')).statusCode).toBe(200);
  });
});
