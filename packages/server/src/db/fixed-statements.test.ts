import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/db.ts';
import { createAccount } from '../../test/factories.ts';
import { createCrmRepository } from '../modules/delivery/dispatch/crm.repository.ts';
import { applyConversationAggregates } from '../modules/ingest/ingest-bulk.ts';
import { createWebhookEventsRepository } from '../modules/intake/webhook-events.repository.ts';
import { queryRows, sql, type Database } from './client.ts';

// A statement prepared by name keeps its plan for the life of the connection. One kept from a moment a queue table
// was empty scans the whole table on every call (seen in bench:inbox: claims took up to a second until the next
// ANALYZE). So only inserts are prepared by name; what reads a table is planned on every call (`fixedRows`).
describe('statements prepared by name (PostgreSQL)', () => {
  let database: Database;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database.close());

  it.skipIf(!process.env.TEST_DATABASE_URL)('are inserts only: claims, updates and reads of the hot path are planned on every call', async () => {
    const account = await createAccount(database.db);
    const prepared = await database.db.transaction(async (tx) => {
      const events = createWebhookEventsRepository(tx);
      const crm = createCrmRepository(tx);
      // more than five calls each: PostgreSQL settles on a generic plan for a named statement after five
      for (let i = 0; i < 6; i += 1) {
        const [id] = await events.insertRawMany([{ body: Buffer.from(`{"n":${i}}`), secretIndex: 0 }]);
        await events.claimInTx(tx, 25);
        await events.claimInTx(tx, 1, id);
        await events.finishMany(tx, [{ id: id ?? 0, status: 'processed', accountIgIds: [], eventCount: 0, error: null, items: null }]);
        const at = new Date();
        await tx.execute(sql`insert into crm_deliveries (id, account_id, event_type, payload, status, next_attempt_at)
          values (${`msg_${i}`}, ${account.id}, 'ping', '{}'::jsonb, 'pending', now())`);
        await applyConversationAggregates(
          tx,
          new Map([[randomUUID(), { newestAt: at, newestId: randomUUID(), preview: 'hi', direction: 'inbound' as const, inboundCount: 1, newestInboundAt: at }]]),
        );
        await crm.recordSucceeded([{ id: `msg_${i}`, at, answeredAt: at, statusCode: 204, durationMs: 1, responseExcerpt: null }], tx);
        await crm.claimDue({ now: at, leaseUntil: new Date(at.getTime() + 60_000), limit: 10, perEndpoint: 4, processId: randomUUID(), deadAfterMs: 5_000, own: new Map() });
      }
      return queryRows<{ name: string; statement: string }>(tx, sql`select name, statement from pg_prepared_statements`);
    });
    // the mechanism is in use (the raw-event insert is prepared), and nothing that reads a table is
    expect(prepared.map((p) => p.name)).toContain('webhook_events_insert_1');
    for (const p of prepared) expect(p.statement.trim()).toMatch(/^(with stored as \(\s*)?insert into /i);
  });
});
