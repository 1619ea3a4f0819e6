import { eq, inArray } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/db.ts';
import type { Database } from '../../db/client.ts';
import { webhookEvents } from '../../db/schema/index.ts';
import { createUnitsOfWork } from '../../db/unit-of-work.ts';
import { announcedIds, createWebhookEventsRepository, WEBHOOK_CHANNEL } from '../intake/webhook-events.repository.ts';
import { createWebhookProcessor } from './webhook-processor.ts';
import { body, flakyIngest, recordingIngest, startedProcessor, statusOf as statusIn, until } from './webhook-processor-test-helpers.ts';

describe('webhooks stored and applied as they arrive (storeAndApply)', () => {
  let database: Database;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.close();
  });
  const started = (concurrency: number, idlePollMs?: number, applyWithinMs?: number) => startedProcessor(database, concurrency, idlePollMs, applyWithinMs);
  const statusOf = (id: number) => statusIn(database, id);

  it('stores and applies POSTs in one transaction: processed when their ids are answered, no round of their own', async () => {
    const { ing, processor } = await started(1);
    try {
      await until(async () => false, 50); // the loop asleep after its first empty round
      const before = ing.rounds.length;
      const ids = await processor.storeAndApply([
        { body, secretIndex: 0 },
        { body: Buffer.from('{"object":"instagram","entry":[{"id":"2"}]}'), secretIndex: 1 },
      ]);
      expect(ids).toHaveLength(2);
      expect(ids[1]).toBeGreaterThan(ids[0] ?? Infinity);
      expect(ing.rounds.slice(before)).toEqual([ids]);
      const rows = await database.db.select().from(webhookEvents).where(inArray(webhookEvents.id, ids));
      expect(rows.map((r) => [r.status, r.attempts, r.signatureSecretIndex])).toEqual([
        ['processed', 1, 0],
        ['processed', 1, 1],
      ]);
      expect(ing.bodies.get(ids[1] ?? 0)).toContain('"id":"2"');
    } finally {
      await processor.stop();
    }
  });

  it('applies as it stores in a process whose processor never runs (serve --no-workers), and announces to the workers what it stores unapplied', async () => {
    const ing = recordingIngest();
    const processor = createWebhookProcessor({
      units: createUnitsOfWork(database.db, []),
      repo: createWebhookEventsRepository(database.db),
      ingest: ing.ingest,
      log: pino({ level: 'silent' }),
      concurrency: 1,
      maxAttempts: 8,
    });
    const heard: number[] = [];
    const unlisten = await database.listen(WEBHOOK_CHANNEL, (payload) => heard.push(...announcedIds(payload)));
    try {
      const [applied = 0] = await processor.storeAndApply([{ body, secretIndex: 0 }]);
      expect(ing.rounds).toEqual([[applied]]);
      expect(await statusOf(applied)).toBe('processed');
      ing.inNextRound(async () => {
        throw new Error('a bug in applying');
      });
      const [stored = 0] = await processor.storeAndApply([{ body, secretIndex: 0 }]);
      expect(await statusOf(stored)).toBe('received');
      // no processor here to offer it to: the workers hear of it, and nothing of the applied one
      expect(await until(async () => heard.includes(stored), 2_000)).toBe(true);
      expect(heard).not.toContain(applied);
    } finally {
      await unlisten();
      await processor.stop();
    }
  });

  it('stores a batch that fails to apply unapplied, for its rounds: a fault of its own retried, nothing lost', async () => {
    const { ing, processor } = await started(1);
    try {
      await until(async () => false, 50);
      let failing = true;
      ing.inNextRound(async () => {
        if (failing) throw new Error('a bug in applying');
      });
      const ids = await processor.storeAndApply([{ body, secretIndex: 0 }]);
      failing = false;
      expect(ids).toHaveLength(1);
      // stored (the 200 may go), then taken by a round of the processor, offered to it
      expect(await until(async () => (await statusOf(ids[0] ?? 0)) === 'processed', 5_000)).toBe(true);
    } finally {
      await processor.stop();
    }
  });

  it('fails a batch whose connection is lost (the route answers 503), storing nothing of it', async () => {
    const repo = createWebhookEventsRepository(database.db);
    const { ingest } = flakyIngest(1, new Error('Connection terminated unexpectedly'));
    const processor = createWebhookProcessor({ units: createUnitsOfWork(database.db, []), repo, ingest, log: pino({ level: 'silent' }), concurrency: 1, maxAttempts: 8, batchSize: 5, idlePollMs: 60_000 });
    processor.start();
    try {
      const marker = Buffer.from('{"object":"instagram","entry":[{"id":"lost-connection-marker"}]}');
      await expect(processor.storeAndApply([{ body: marker, secretIndex: 0 }])).rejects.toThrow('Connection terminated');
      const stored = await database.db.select({ id: webhookEvents.id }).from(webhookEvents).where(eq(webhookEvents.body, marker));
      expect(stored).toEqual([]);
    } finally {
      await processor.stop();
    }
  });

  it('does not hold the answer for a batch slow to apply: stores it unapplied after applyWithinMs, for the rounds', async () => {
    const { ing, processor } = await started(1, 60_000, 50);
    try {
      await until(async () => false, 50);
      ing.inNextRound(() => new Promise((r) => setTimeout(r, 2_000))); // a lock or a slow query in applying
      const began = Date.now();
      const [id] = await processor.storeAndApply([{ body, secretIndex: 0 }]);
      // PGlite has one connection, which the slow transaction holds: there the copy is stored once it ends
      if (database.kind === 'postgres') {
        expect(Date.now() - began).toBeLessThan(1_500);
        expect(await statusOf(id ?? 0)).toBe('received'); // stored, not applied: the 200 can go
      }
      expect(await until(async () => (await statusOf(id ?? 0)) === 'processed', 8_000)).toBe(true);
    } finally {
      await processor.stop();
    }
  });
});
