import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/db.ts';
import type { Database } from '../../db/client.ts';
import { webhookEvents } from '../../db/schema/index.ts';
import { createWebhookEventsRepository } from '../intake/webhook-events.repository.ts';
import { createWebhookProcessor } from './webhook-processor.ts';
import { createUnitsOfWork } from '../../db/unit-of-work.ts';
import { body, flakyIngest, recordingIngest, startedProcessor, statusOf as statusIn, until } from './webhook-processor-test-helpers.ts';

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

  const started = (concurrency: number, idlePollMs?: number) => startedProcessor(database, concurrency, idlePollMs);

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

  const statusOf = (id: number) => statusIn(database, id);

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
