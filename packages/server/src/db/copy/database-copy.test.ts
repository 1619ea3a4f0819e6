import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, TEST_SESSION_SECRET, type TestApp } from '../../../test/app.ts';
import { runCli } from '../../../test/cli.ts';
import { adminQuery } from '../../../test/db.ts';
import { META_ENV } from '../../../test/meta.ts';
import { createSimWorld, type SimWorld } from '../../../test/sim-world.ts';
import { startReceiver, type Receiver } from '../../shared/net/test-receivers.ts';
import { openDatabase, type Database } from '../client.ts';
import { runMigrations } from '../migrate.ts';
import { referenceOrder } from './database-copy.ts';
import { jobs } from '../../jobs/registry.ts';

const adminUrl = process.env.TEST_DATABASE_URL;

describe('tables in reference order', () => {
  it('puts every table after the tables it references, whatever the catalog order', () => {
    const t = (name: string) => ({ schema: 'public', name });
    const order = referenceOrder([t('messages'), t('accounts'), t('conversations'), t('contacts')], [
      ['messages', 'conversations'],
      ['conversations', 'contacts'],
      ['conversations', 'accounts'],
      ['contacts', 'accounts'],
    ]);
    expect(order.map((x) => x.name)).toEqual(['accounts', 'contacts', 'conversations', 'messages']);
  });
});

/**
 * The move from the embedded database to PostgreSQL: an embedded Threadline with accounts, conversations, CRM
 * deliveries (some delivered, some waiting) and pending jobs (a queued reply, profile fetches) is copied while it
 * runs, then PostgreSQL serves the same API answers, and delivers and sends what was waiting exactly once.
 */
describe.skipIf(!adminUrl)('db copy from the embedded database to PostgreSQL', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-copy-'));
  const dbName = `tl_copy_${Date.now().toString(36)}`;
  const targetUrl = (() => {
    const u = new URL(adminUrl ?? 'postgres://localhost/x');
    u.pathname = `/${dbName}`;
    return u.toString();
  })();
  let source: Database;
  let w: SimWorld;
  let crm: Receiver;
  let copied: TestApp | undefined;


  beforeAll(async () => {
    await adminQuery(`create database ${dbName}`);
    crm = await startReceiver((_req, res) => res.writeHead(204).end());
    source = await openDatabase({ kind: 'pglite', dataDir: path.join(dataDir, 'pglite') });
    await runMigrations(source);
    w = await createSimWorld({ CRM_ALLOWED_NETWORKS: '127.0.0.1/32' }, { database: source });
  });
  afterAll(async () => {
    await copied?.close();
    await w?.t.close().catch(() => undefined);
    await w?.sim.close();
    await source?.close();
    await crm?.close();
    await adminQuery(`drop database if exists ${dbName} with (force)`);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('copies a running embedded database, and PostgreSQL serves it the same and sends nothing twice', async () => {
    const api = (t: TestApp, url: string) => t.app.inject({ method: 'GET', url, headers: bearer(w.tokens.owner) });
    const set = await w.t.app.inject({ method: 'PATCH', url: `/api/v1/accounts/${w.accountId}`, headers: bearer(w.tokens.owner), payload: { crm_webhook_url: `${crm.url}/hook` } });
    expect(set.statusCode).toBe(200);
    // the test delivers (`runOnce`), so that some deliveries are still waiting when the copy is made: the app's
    // dispatcher, handing over as a `serve --no-workers` does, would send each as soon as it is written
    await w.t.crm.dispatcher.stop();
    const first = await w.customerWrites('Do you ship to Porto?');
    while ((await w.t.crm.dispatcher.runOnce()) > 0);
    const deliveredBefore = crm.received.length;
    expect(deliveredBefore).toBeGreaterThan(0);
    const second = await w.customerWrites('And to Faro?');
    const reply = await w.t.app.inject({
      method: 'POST',
      url: `/api/v1/ui/conversations/${second.conversationId}/messages`,
      headers: bearer(w.tokens.owner),
      payload: { text: 'Yes, in two days.' },
    });
    expect(reply.statusCode).toBe(202);

    const urls = [
      '/api/v1/ui/conversations',
      `/api/v1/ui/conversations/${first.conversationId}/messages`,
      `/api/v1/ui/conversations/${second.conversationId}/messages`,
      '/api/v1/accounts/me',
      `/api/v1/accounts/${w.accountId}/crm`,
      `/api/v1/accounts/${w.accountId}/crm/deliveries`,
    ];
    const before = await Promise.all(urls.map(async (u) => (await api(w.t, u)).json<unknown>()));
    const waiting = (before[5] as { deliveries: { id: string; status: string }[] }).deliveries.filter((d) => d.status === 'pending').map((d) => d.id);
    expect(waiting.length).toBeGreaterThan(0);

    // the embedded Threadline keeps running: the copy is a snapshot asked of it
    const copy = await runCli(['db', 'copy', '--to', targetUrl], { DATA_DIR: dataDir, SESSION_SECRET: TEST_SESSION_SECRET });
    expect(copy.stderr).toBe('');
    expect(copy.code).toBe(0);
    expect(copy.stdout).toContain('Copying a snapshot of the running Threadline');
    expect(copy.stdout).toMatch(/every count matches/);
    expect(copy.stdout).toContain('DATABASE_URL=');
    expect(copy.stdout).toMatch(/public\.messages\s+3/);
    await w.t.close();

    // a second copy into the same (no longer empty) database is refused and changes nothing
    const again = await runCli(['db', 'copy', '--to', targetUrl], { DATA_DIR: dataDir, SESSION_SECRET: TEST_SESSION_SECRET });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('not empty');

    const target = await openDatabase({ kind: 'postgres', url: targetUrl, poolMax: 4 });
    copied = await createTestApp(
      { ...META_ENV, INSTAGRAM_GRAPH_URL: w.control.baseUrl, INSTAGRAM_API_URL: w.control.baseUrl, CRM_ALLOWED_NETWORKS: '127.0.0.1/32' },
      { database: target },
    );
    const after = await Promise.all(urls.map(async (u) => (await api(copied as TestApp, u)).json<unknown>()));
    expect(after).toEqual(before);

    // what waited in the embedded database is done once by PostgreSQL: the reply (its token decrypts) and the deliveries
    await copied.startWorkers();
    await copied.crm.dispatcher.stop(); // the test delivers, as above
    for (let i = 0; i < 50 && (await copied.queue.runPending(jobs.messagesSend)) === 0; i += 1) await new Promise((r) => setTimeout(r, 100));
    const outbox = await w.control.outbox({ accountId: w.igId });
    expect(outbox.filter((m) => JSON.stringify(m).includes('Yes, in two days.'))).toHaveLength(1);
    while ((await copied.crm.dispatcher.runOnce()) > 0);
    const ids = crm.received.map((r) => String(r.headers['webhook-id']));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.slice(deliveredBefore)).toEqual(expect.arrayContaining(waiting));
    const deliveries = (await api(copied, `/api/v1/accounts/${w.accountId}/crm/deliveries`)).json<{ deliveries: { id: string; status: string }[] }>();
    expect(deliveries.deliveries.every((d) => d.status === 'succeeded')).toBe(true);
    expect(new Set(ids)).toEqual(new Set(deliveries.deliveries.map((d) => d.id)));
    // two CLI processes and two apps: a bound against hangs on a loaded machine
  }, 400_000);
});
