import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/db.ts';
import type { Database } from '../../db/client.ts';
import { webhookEvents } from '../../db/schema/index.ts';
import type { IngestService } from './ingest.service.ts';
import { createWebhookEventsRepository } from '../intake/webhook-events.repository.ts';
import { createWebhookProcessor } from './webhook-processor.ts';
import { createUnitsOfWork } from '../../db/unit-of-work.ts';

/** An ingest whose batches fail as a lost database connection does, then work. */
function flakyIngest(failures: number, error: Error): { ingest: IngestService; calls: () => number } {
  let calls = 0;
  const ingest = {
    async processBatch(_tx, raws) {
      calls += 1;
      if (calls <= failures) throw error;
      return new Map(raws.map((r) => [r.id, { status: 'processed' as const, accountIgIds: [], eventCount: 1 }]));
    },
  } as Pick<IngestService, 'processBatch'>;
  return { ingest: ingest as IngestService, calls: () => calls };
}

describe('webhook processing while the database comes and goes', () => {
  let database: Database;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.close();
  });

  it('does not count a lost connection against the events: no attempt, no back-off, processed once it is back', async () => {
    const repo = createWebhookEventsRepository(database.db);
    const id = await repo.insertRaw(Buffer.from('{"object":"instagram","entry":[]}'), 0);
    const lost = Object.assign(new Error('Connection terminated unexpectedly'), {});
    const { ingest } = flakyIngest(3, lost);
    const processor = createWebhookProcessor({ units: createUnitsOfWork(database.db, []), repo, ingest, log: pino({ level: 'silent' }), concurrency: 1, maxAttempts: 8, batchSize: 5 });
    for (let i = 0; i < 3; i += 1) await expect(processor.runUntilIdle()).rejects.toThrow('Connection terminated');
    const [waiting] = await database.db.select().from(webhookEvents).where(eq(webhookEvents.id, id));
    expect(waiting).toMatchObject({ status: 'received', attempts: 0, lastError: null });
    expect(waiting?.nextAttemptAt.getTime()).toBeLessThanOrEqual(Date.now());
    await processor.runUntilIdle();
    const [done] = await database.db.select().from(webhookEvents).where(eq(webhookEvents.id, id));
    expect(done).toMatchObject({ status: 'processed', attempts: 1 });
  });

  it('still isolates and retries an event that fails for a reason of its own', async () => {
    const repo = createWebhookEventsRepository(database.db);
    const id = await repo.insertRaw(Buffer.from('{"object":"instagram","entry":[]}'), 0);
    const { ingest } = flakyIngest(2, new Error('a bug'));
    const processor = createWebhookProcessor({ units: createUnitsOfWork(database.db, []), repo, ingest, log: pino({ level: 'silent' }), concurrency: 1, maxAttempts: 8, batchSize: 5 });
    await processor.runUntilIdle();
    const [row] = await database.db.select().from(webhookEvents).where(eq(webhookEvents.id, id));
    expect(row).toMatchObject({ status: 'received', attempts: 1, lastError: 'a bug' });
    expect(row?.nextAttemptAt.getTime()).toBeGreaterThan(Date.now());
  });
});
