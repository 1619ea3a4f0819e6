import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../shared/logger.ts';
import { createCrmDispatcher } from './crm-dispatcher.ts';
import { createBacklogPacer } from './dispatcher-pacer.ts';

describe('backlog pacer', () => {
  it('lets a claim run while nothing is owed, then waits until what the claim took is paid back at its rate', () => {
    let t = 0;
    const pacer = createBacklogPacer(1000, () => t);
    expect(pacer.mayClaim()).toBe(true);
    // it held 50 (a twentieth of a second); a claim took 80: 30 owed, 30 ms at 1,000 a second
    pacer.take(80);
    expect(pacer.mayClaim()).toBe(false);
    expect(pacer.msUntilClaim()).toBe(30);
    t = 29;
    expect(pacer.mayClaim()).toBe(false);
    t = 30.5;
    expect(pacer.mayClaim()).toBe(true);
    expect(pacer.msUntilClaim()).toBe(0);
  });

  it('holds no more than a twentieth of a second of its rate, however long it was idle', () => {
    let t = 0;
    const pacer = createBacklogPacer(100, () => t);
    t = 600_000;
    // 5 in hand: taking 25 leaves 20 owed, 200 ms at 100 a second
    pacer.take(25);
    expect(pacer.msUntilClaim()).toBe(200);
  });

  it('does not pace at a rate of 0', () => {
    const pacer = createBacklogPacer(0);
    pacer.take(1_000_000);
    expect(pacer.mayClaim()).toBe(true);
    expect(pacer.msUntilClaim()).toBe(0);
  });
});

type Job = { id: number; waited: boolean };

/** A dispatcher whose claims take from `due`, whose attempts and outcome writes succeed at once. */
function pacedDispatcher(perSecond: number, concurrency = 64) {
  const due: Job[] = [];
  const started: { id: number; at: number }[] = [];
  const dispatcher = createCrmDispatcher<Job, number>({
    claim: async (limit) => {
      return due.splice(0, limit);
    },
    attempt: async (job) => {
      started.push({ id: job.id, at: performance.now() });
      return job.id;
    },
    record: async () => undefined,
    endpointOf: () => 'a',
    idOf: (job) => String(job.id),
    waited: (job) => job.waited,
    backlogPerSecond: perSecond,
    releaseOrphans: async () => 0,
    concurrency,
    perEndpoint: 32,
    pollIntervalMs: 60_000,
    log: createLogger('silent', false),
  });
  return { dispatcher, due, started };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(5);
  }
}

describe('CRM dispatcher pacing', () => {
  it('starts claimed deliveries that had waited at its pace', async () => {
    // 40 a second, 2 in hand; a room of 3 (4 places, one kept for hand-overs): unpaced, all 30 start at once
    const h = pacedDispatcher(40, 4);
    for (let id = 1; id <= 30; id += 1) h.due.push({ id, waited: true });
    const from = performance.now();
    h.dispatcher.start();
    await sleep(300);
    const elapsed = performance.now() - from;
    expect(h.started.length).toBeGreaterThan(0);
    // never more than it held, plus one claim's room, plus what it earned (a slow machine starts fewer, never more)
    expect(h.started.length).toBeLessThanOrEqual(2 + 3 + Math.ceil((elapsed * 40) / 1000));
    await h.dispatcher.stop();
  });

  it('does not pace new deliveries it claims (written unclaimed, or announced by serve --no-workers)', async () => {
    // at 10 a second, 60 would take 6 s if they were paced
    const h = pacedDispatcher(10);
    for (let id = 1; id <= 60; id += 1) h.due.push({ id, waited: false });
    h.dispatcher.start();
    await until(() => h.started.length === 60, 3_000);
    await h.dispatcher.stop();
  });

  it('drains as fast as it can at a pace of 0', async () => {
    const h = pacedDispatcher(0, 4);
    for (let id = 1; id <= 200; id += 1) h.due.push({ id, waited: true });
    h.dispatcher.start();
    await until(() => h.started.length === 200, 3_000);
    await h.dispatcher.stop();
  });
});
