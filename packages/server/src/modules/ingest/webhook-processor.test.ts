import { eq, inArray } from 'drizzle-orm';
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

describe('waking the processor', () => {
  let database: Database;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.close();
  });

  /** An ingest that records each round's event ids; `during` runs inside the next round, in its transaction. */
  function recordingIngest() {
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

  const until = async (check: () => Promise<boolean>, ms: number) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (await check()) return true;
      await new Promise((r) => setTimeout(r, 10));
    }
    return false;
  };

  /** A processor of `concurrency` loops over a recording ingest, started with nothing due, polling once a minute. */
  async function started(concurrency: number, idlePollMs = 60_000, applyWithinMs?: number) {
    const repo = createWebhookEventsRepository(database.db);
    const ing = recordingIngest();
    const processor = createWebhookProcessor({ units: createUnitsOfWork(database.db, []), repo, ingest: ing.ingest, log: pino({ level: 'silent' }), concurrency, maxAttempts: 8, batchSize: 5, idlePollMs, ...(applyWithinMs ? { applyWithinMs } : {}) });
    await processor.runUntilIdle();
    processor.start();
    return { repo, ing, processor };
  }

  it('takes what was stored during a round as soon as that round ends, not at the next idle poll', async () => {
    // one loop that would otherwise poll only once a minute: only wakes can move it
    const { repo, ing, processor } = await started(1);
    try {
      let second = -1;
      // a POST stored and announced while the only loop is in its round (its claim is over: it cannot see it)
      ing.inNextRound(async (tx) => {
        const [row] = await (tx as Database['db']).insert(webhookEvents).values({ body: Buffer.from('{"object":"instagram","entry":[]}'), signatureSecretIndex: 0 }).returning({ id: webhookEvents.id });
        second = row?.id ?? -1;
        processor.wake();
        await new Promise((r) => setTimeout(r, 100)); // the round goes on well past any gathering delay
      });
      const first = await repo.insertRaw(Buffer.from('{"object":"instagram","entry":[]}'), 0);
      processor.wake();
      const status = async (id: number) => (await database.db.select().from(webhookEvents).where(eq(webhookEvents.id, id)))[0]?.status;
      expect(await until(async () => second > 0 && (await status(second)) === 'processed', 5_000)).toBe(true);
      expect(await status(first)).toBe('processed');
      expect(ing.rounds.at(-1)).toEqual([second]);
    } finally {
      await processor.stop();
    }
  });

  it('makes one round of the events announced in one turn of the event loop at a quiet moment', async () => {
    const { repo, ing, processor } = await started(2);
    try {
      await until(async () => false, 50); // both loops asleep after their first empty round
      const before = ing.rounds.length;
      const ids: number[] = [];
      for (let i = 0; i < 3; i += 1) ids.push(await repo.insertRaw(Buffer.from('{"object":"instagram","entry":[]}'), 0));
      for (let i = 0; i < 3; i += 1) processor.wake();
      expect(await until(async () => ing.rounds.flat().includes(ids[2] ?? -1), 5_000)).toBe(true);
      expect(ing.rounds.slice(before)).toEqual([ids]);
    } finally {
      await processor.stop();
    }
  });

  const body = Buffer.from('{"object":"instagram","entry":[]}');
  const statusOf = async (id: number) => (await database.db.select().from(webhookEvents).where(eq(webhookEvents.id, id)))[0]?.status;

  it('claims an event offered by its process by id, with the body it was given, without scanning the queue', async () => {
    const { repo, ing, processor } = await started(1);
    try {
      await until(async () => false, 50); // the loop asleep after its first empty round
      // due, but neither offered nor announced: only a scan of the queue finds it
      const unannounced = await repo.insertRaw(body, 0);
      const before = ing.rounds.length;
      const offered = await repo.insertRaw(body, 0);
      processor.offer({ id: offered, body });
      expect(await until(async () => (await statusOf(offered)) === 'processed', 5_000)).toBe(true);
      expect(ing.rounds.slice(before)).toEqual([[offered]]);
      expect(await statusOf(unannounced)).toBe('received');
      // a wake with nothing offered scans
      processor.wake();
      expect(await until(async () => (await statusOf(unannounced)) === 'processed', 5_000)).toBe(true);
    } finally {
      await processor.stop();
    }
  });

  it('claims events another process announced by id, reading their bodies', async () => {
    const { repo, ing, processor } = await started(1);
    try {
      await until(async () => false, 50);
      const unannounced = await repo.insertRaw(body, 0);
      const before = ing.rounds.length;
      const announced = await repo.insertRaw(Buffer.from('{"object":"instagram","entry":[2]}'), 0);
      processor.offerIds([announced]);
      expect(await until(async () => (await statusOf(announced)) === 'processed', 5_000)).toBe(true);
      expect(ing.rounds.slice(before)).toEqual([[announced]]);
      expect(ing.bodies.get(announced)).toBe('{"object":"instagram","entry":[2]}');
      expect(await statusOf(unannounced)).toBe('received');
    } finally {
      await processor.stop();
    }
  });

  it('scans at least every idle poll while events keep being offered, so older work never waits behind them', async () => {
    const { repo, processor } = await started(1, 200);
    try {
      const older = await repo.insertRaw(body, 0);
      let done = false;
      // offers every 20 ms for up to 3 s: without the periodic scan the older event would wait until they stop
      for (let i = 0; i < 150 && !done; i += 1) {
        const id = await repo.insertRaw(body, 0);
        processor.offer({ id, body });
        await new Promise((r) => setTimeout(r, 20));
        done = (await statusOf(older)) === 'processed';
      }
      expect(done).toBe(true);
    } finally {
      await processor.stop();
    }
  });

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

  it('polls from one loop only: the others wait to be woken', async () => {
    const repo = createWebhookEventsRepository(database.db);
    let scans = 0;
    const counting = { ...repo, claimInTx: (...args: Parameters<typeof repo.claimInTx>) => ((scans += 1), repo.claimInTx(...args)) };
    const ing = recordingIngest();
    const processor = createWebhookProcessor({ units: createUnitsOfWork(database.db, []), repo: counting, ingest: ing.ingest, log: pino({ level: 'silent' }), concurrency: 4, maxAttempts: 8, batchSize: 5, idlePollMs: 100 });
    processor.start();
    try {
      await until(async () => false, 120); // every loop's first round
      const after = scans;
      await until(async () => false, 1_000);
      // one loop polling every 100 ms: about 10 scans (4 loops would make about 40)
      expect(scans - after).toBeGreaterThanOrEqual(5);
      expect(scans - after).toBeLessThanOrEqual(15);
    } finally {
      await processor.stop();
    }
  });
});
