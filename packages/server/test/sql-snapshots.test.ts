/**
 * The SQL of the hot path, snapshotted: the statements Threadline sends for one webhook (intake, claim, ingest
 * upserts, CRM outbox, live-update log), for one CRM dispatch (claim and outcome) and for the inbox reads (list page,
 * keyset page, thread page, search) are captured from the real code paths and compared with the committed files in
 * test/sql-snapshots/*.sql. A changed query, or a changed number of statements per event, fails here with a diff,
 * so it is seen in review.
 *
 * After an intended change, rewrite the files and commit them with the change:
 *   UPDATE_SQL_SNAPSHOTS=1 node node_modules/vitest/vitest.mjs run --project server packages/server/test/sql-snapshots.test.ts
 *
 * Only statements' text is captured (never parameters), through the database's statement log (db/client.ts
 * `statementLog`), on an in-memory PGlite of its own: the text does not depend on the engine.
 */
import fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/client.ts';
import { runMigrations } from '../src/db/migrate.ts';
import { accounts } from '../src/db/schema/index.ts';
import { createInboxReadRepository } from '../src/modules/inbox/inbox-read.repository.ts';
import { createWebhookProcessor } from '../src/modules/ingest/webhook-processor.ts';
import { generateWebhookSecret } from '../src/modules/delivery/dispatch/standard-webhooks.ts';
import { createTestApp, type TestApp } from './app.ts';
import { createAccount } from './factories.ts';
import { envelope, inbound, META_ENV, mid, postSigned } from './meta.ts';

const DIR = path.join(import.meta.dirname, 'sql-snapshots');
const UPDATE = process.env.UPDATE_SQL_SNAPSHOTS === '1';
const ACCOUNT_IG = '17841400000077001';

/** One statement a line: whitespace collapsed, so only a change of the SQL itself shows. */
const normalise = (text: string) => text.replace(/\s+/g, ' ').trim();
/** Statements of work this test does not look at (the process heartbeat runs on its own timer). */
const background = (text: string) => /\b(processes)\b/.test(text);

describe('SQL of the hot path (test/sql-snapshots/*.sql)', () => {
  const statements: string[] = [];
  let database: Database;
  let t: TestApp;
  let receiver: Server;
  let accountId = '';

  beforeAll(async () => {
    database = await openDatabase({ kind: 'pglite', dataDir: null }, { statementLog: (text) => void statements.push(text) });
    await runMigrations(database);
    receiver = createServer((_req, res) => res.writeHead(204).end());
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const address = receiver.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    t = await createTestApp({ ...META_ENV, CRM_ALLOWED_NETWORKS: '127.0.0.1/32', CRM_ALLOW_HTTP: 'true' }, { database });
    // the queues exist (ingest enqueues a profile fetch); with WORKERS_ENABLED=false nothing runs on its own
    await t.startWorkers();
    const account = await createAccount(database.db, { igUserId: ACCOUNT_IG, username: 'snapshot_shop' });
    accountId = account.id;
    await database.db
      .update(accounts)
      .set({ crmWebhookUrl: `http://127.0.0.1:${port}/hook`, webhookSecret: t.vault.encrypt(generateWebhookSecret()) })
      .where(eq(accounts.id, accountId));
  });
  afterAll(async () => {
    await t.close();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  /** The statements `fn` sends, in order. */
  async function capture(fn: () => Promise<unknown>): Promise<string[]> {
    statements.length = 0;
    await fn();
    return statements.filter((s) => !background(s)).map(normalise);
  }

  function check(name: string, captured: string[]) {
    const file = path.join(DIR, `${name}.sql`);
    const text = `${captured.map((s) => `${s};`).join('\n')}\n`;
    if (UPDATE || !fs.existsSync(file)) {
      fs.mkdirSync(DIR, { recursive: true });
      fs.writeFileSync(file, text);
      // a missing snapshot is written, but only on request does the test pass with it: CI must find it committed
      if (!UPDATE) throw new Error(`${name}.sql was missing and has been written: review and commit it`);
      return;
    }
    expect(text, `${name}.sql changed: rerun with UPDATE_SQL_SNAPSHOTS=1 if that is intended`).toBe(fs.readFileSync(file, 'utf8'));
  }

  const message = (ts: number, text: string) => envelope(ACCOUNT_IG, [inbound(ACCOUNT_IG, '990001', ts, { mid: mid(), text })]);

  it('intake in `serve --no-workers`: a webhook POST stored and applied in one transaction, its CRM deliveries handed to its own dispatcher', async () => {
    const captured = await capture(async () => {
      expect((await postSigned(t, message(1_700_000_000_000, 'first'))).statusCode).toBe(200);
    });
    check('intake', captured);
  });

  // What was stored unapplied (a batch that failed or was slow to apply, a requeue) is applied by the processor's rounds.
  const storeUnapplied = (customerId: string, ts: number, text: string) =>
    t.services.webhookEvents.insertRaw(Buffer.from(JSON.stringify(envelope(ACCOUNT_IG, [inbound(ACCOUNT_IG, customerId, ts, { mid: mid(), text })]))), 0);

  it('processing: a batch of one message from a new contact (claim, ingest, CRM outbox, live updates, finish)', async () => {
    await storeUnapplied('990002', 1_700_000_001_000, 'second');
    check('webhook-batch-new-contact', await capture(() => t.services.webhookProcessor.runUntilIdle()));
  });

  it('processing: a batch of one message in a known conversation', async () => {
    await storeUnapplied('990002', 1_700_000_002_000, 'third');
    check('webhook-batch-known-conversation', await capture(() => t.services.webhookProcessor.runUntilIdle()));
  });

  it('CRM dispatch: claim, attempt and outcome of the due deliveries', async () => {
    // one due delivery, so its outcome is one write whatever the timing; written unclaimed and announced, as for a
    // worker's claim (a stopped dispatcher takes no hand-over)
    await t.crm.dispatcher.stop();
    while ((await t.crm.dispatcher.runOnce()) > 0);
    expect((await postSigned(t, message(1_700_000_003_000, 'fourth'))).statusCode).toBe(200);
    check('crm-dispatch', await capture(() => t.crm.dispatcher.runOnce()));
  });

  it('inbox reads: list page, keyset page, thread page and search', async () => {
    const inbox = createInboxReadRepository(database.db);
    const base = { accountId, filter: 'all' as const, status: 'open' as const, limit: 25 };
    const [first] = await inbox.listConversations({ ...base, after: null });
    check('inbox-list-first-page', await capture(() => inbox.listConversations({ ...base, after: null })));
    const after = { at: first?.conversation.lastMessageAt ?? new Date(0), id: first?.conversation.id ?? '' };
    check('inbox-list-keyset-page', await capture(() => inbox.listConversations({ ...base, after })));
    check('thread-page', await capture(() => inbox.listMessages(accountId, first?.conversation.id ?? '', 50, null)));
    check('search', await capture(() => inbox.listConversations({ ...base, after: null, q: 'second' })));
  });

  it('intake in a process that runs the workers: a POST stored and applied in one transaction', async () => {
    // the app's processor does not run here (WORKERS_ENABLED=false); one over the same services, polling once an hour
    const { units, webhookEvents, ingest } = t.services;
    const processor = createWebhookProcessor({ units, repo: webhookEvents, ingest, log: pino({ level: 'silent' }), concurrency: 1, maxAttempts: 8, idlePollMs: 3_600_000 });
    processor.start();
    await new Promise((r) => setTimeout(r, 100)); // its first (empty) round
    try {
      const body = Buffer.from(JSON.stringify(message(1_700_000_002_000, 'third')));
      check('intake-applied', await capture(() => processor.storeAndApply([{ body, secretIndex: 0 }])));
    } finally {
      await processor.stop();
    }
  });
});
