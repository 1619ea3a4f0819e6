import { pino } from 'pino';
import type { Database } from '../../db/client.ts';
import { createUnitsOfWork } from '../../db/unit-of-work.ts';
import { createWebhookEventsRepository } from '../intake/webhook-events.repository.ts';
import type { IngestService } from './ingest.service.ts';
import { createWebhookProcessor } from './webhook-processor.ts';

/** What the webhook processor's tests share (webhook-processor.test.ts, webhook-store-and-apply.test.ts). */

/** An ingest whose batches fail as a lost database connection does, then work. */
export function flakyIngest(failures: number, error: Error): { ingest: IngestService; calls: () => number } {
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

/** An ingest that records each round's event ids; `during` runs inside the next round, in its transaction. */
export function recordingIngest() {
  const rounds: number[][] = [];
  const bodies = new Map<number, string>();
  let during: ((tx: unknown) => Promise<void>) | null = null;
  const ingest = {
    async processBatch(uow, raws) {
      rounds.push(raws.map((r) => r.id));
      for (const r of raws) bodies.set(r.id, r.body.toString('utf8'));
      const run = during;
      during = null;
      if (run) await run(uow.tx);
      return new Map(raws.map((r) => [r.id, { status: 'processed' as const, accountIgIds: [], eventCount: 1 }]));
    },
  } as Pick<IngestService, 'processBatch'>;
  return {
    ingest: ingest as IngestService,
    rounds,
    bodies,
    inNextRound(fn: (tx: unknown) => Promise<void>) {
      during = fn;
    },
  };
}

export const until = async (check: () => Promise<boolean>, ms: number) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
};

/** A processor of `concurrency` loops over a recording ingest, started with nothing due, polling once a minute. */
export async function startedProcessor(database: Database, concurrency: number, idlePollMs = 60_000, applyWithinMs?: number) {
  const repo = createWebhookEventsRepository(database.db);
  const ing = recordingIngest();
  const processor = createWebhookProcessor({ units: createUnitsOfWork(database.db, []), repo, ingest: ing.ingest, log: pino({ level: 'silent' }), concurrency, maxAttempts: 8, batchSize: 5, idlePollMs, ...(applyWithinMs ? { applyWithinMs } : {}) });
  await processor.runUntilIdle();
  processor.start();
  return { repo, ing, processor };
}

/** A raw event's body the recording ingest accepts. */
export const body = Buffer.from('{"object":"instagram","entry":[]}');

export const statusOf = async (database: Database, id: number) => (await createWebhookEventsRepository(database.db).getOne(id))?.status;
