import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/db.ts';
import type { Database } from '../db/client.ts';
import { z } from 'zod';
import { createLogger } from '../shared/logger.ts';
import { defineJob } from './job.ts';
import { createQueue, JOB_HEARTBEAT_SECONDS, type Queue } from './queue.ts';

const testBatch = defineJob({
  name: 'test.batch',
  payload: z.object({ n: z.number() }),
  retry: { retries: 1, delaySeconds: 3600 },
  worker: { batchSize: 3, pollingIntervalSeconds: 0.5 },
});

describe('job queue workers', () => {
  let database: Database & { engine: string };
  let queue: Queue;
  const seen: number[] = [];
  beforeAll(async () => {
    database = await createTestDatabase();
    queue = createQueue(database, createLogger('silent', false), { jobs: { testBatch } });
    queue.handle(testBatch, async ({ n }) => {
      seen.push(n);
      if (n === 2) throw new Error('the second one fails');
    });
    await queue.start({ work: true });
  });
  afterAll(async () => {
    await queue.stop();
    await database.close();
  });

  it('settles each job of a batch on its own: one that throws is failed, the others run and complete', async () => {
    // inserted at once, so one poll fetches all three as one batch (in any order: a failure anywhere must leave the
    // others completed)
    const ids: Record<number, string> = { 1: randomUUID(), 2: randomUUID(), 3: randomUUID() };
    await queue.boss.insert('test.batch', [1, 2, 3].map((n) => ({ id: ids[n], data: { n } })));
    const deadline = Date.now() + 30_000;
    const stateOf = async (n: number) => (await queue.boss.getJobById('test.batch', ids[n] ?? ''))?.state;
    const settled = async () => {
      for (const n of [1, 2, 3]) if (['created', 'active'].includes((await stateOf(n)) ?? 'created')) return false;
      return true;
    };
    while (Date.now() < deadline && !(await settled())) await new Promise((resolve) => setTimeout(resolve, 100));
    expect([...seen].sort()).toEqual([1, 2, 3]);
    expect(await stateOf(1)).toBe('completed');
    expect(await stateOf(3)).toBe('completed');
    // failed, and waiting for its one retry an hour away
    expect(await stateOf(2)).toBe('retry');
  });

  it('gives a job held by a worker that died back to the queue within seconds (its heartbeat lapses), not at its expiry', async () => {
    await queue.boss.createQueue('test.abandoned', { heartbeatSeconds: 10, retryLimit: 2, retryDelay: 0, expireInSeconds: 900 });
    const id = randomUUID();
    await queue.boss.insert('test.abandoned', [{ id, data: {} }]);
    // a worker takes the job and dies: nothing ever completes it or beats for it
    const [taken] = await queue.boss.fetch('test.abandoned');
    expect(taken?.id).toBe(id);
    const deadline = Date.now() + 90_000;
    let state = (await queue.boss.getJobById('test.abandoned', id))?.state;
    while (Date.now() < deadline && state === 'active') {
      await new Promise((resolve) => setTimeout(resolve, 500));
      state = (await queue.boss.getJobById('test.abandoned', id))?.state;
    }
    // failed for the missed heartbeat, and due again for another worker (not 15 minutes from now)
    expect(['retry', 'created']).toContain(state);
  });

  it('refuses to start workers while a job of the registry has no handler', async () => {
    const orphan = defineJob({ name: 'test.orphan', payload: z.object({}), retry: { retries: 0 } });
    const partial = createQueue(database, createLogger('silent', false), { jobs: { testBatch, orphan } });
    partial.handle(testBatch, async () => {});
    await expect(partial.start({ work: true })).rejects.toThrow('jobs without a handler: test.orphan');
  });

  it('enqueues only jobs of its registry, with a payload its schema accepts', async () => {
    const stranger = defineJob({ name: 'test.stranger', payload: z.object({}), retry: { retries: 0 } });
    await expect(queue.enqueue(stranger, {})).rejects.toThrow('not in the job registry');
    await expect(queue.enqueue(testBatch, { n: Number.NaN })).rejects.toThrow();
  });

  it('gives every queue a heartbeat, so no job of a dead process waits for its expiry', async () => {
    const q = await queue.boss.getQueue('test.batch');
    expect(q?.heartbeatSeconds).toBe(JOB_HEARTBEAT_SECONDS);
  });
});

describe('a job sent wakes its worker', () => {
  // polls every 30 s: a job handled within seconds was woken, not found by a poll
  const slowPoller = defineJob({
    name: 'test.woken',
    payload: z.object({ n: z.number() }),
    retry: { retries: 0 },
    worker: { pollingIntervalSeconds: 30, backstopSeconds: 30 },
  });
  let database: Database;
  let queue: Queue;
  const handled = new Map<number, number>();
  beforeAll(async () => {
    database = await createTestDatabase();
    queue = createQueue(database, createLogger('silent', false), { jobs: { slowPoller } });
    queue.handle(slowPoller, async ({ n }) => {
      handled.set(n, Date.now());
    });
    await queue.start({ work: true });
    // the worker's first fetch, at its start, is behind it: the next poll is 30 s away
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  });
  afterAll(async () => {
    await queue.stop();
    await database.close();
  });

  const handledWithin = async (n: number, ms: number) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline && !handled.has(n)) await new Promise((resolve) => setTimeout(resolve, 50));
    return handled.has(n);
  };

  it('at once, on both engines, sent alone or in the sender’s transaction', async () => {
    expect((await queue.boss.getQueue('test.woken'))?.notify).toBe(true);
    await queue.enqueue(slowPoller, { n: 1 });
    expect(await handledWithin(1, 10_000)).toBe(true);
    await database.db.transaction(async (tx) => {
      await queue.enqueueInTx(tx, slowPoller, { n: 2 });
    });
    expect(await handledWithin(2, 10_000)).toBe(true);
  });
});
