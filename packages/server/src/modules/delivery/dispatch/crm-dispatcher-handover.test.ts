import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../shared/logger.ts';
import { createCrmDispatcher } from './crm-dispatcher.ts';

type Job = { id: number; endpoint: string };

/**
 * A dispatcher started as `serve --no-workers` starts it (`startHandingOver`), whose requests the test answers by
 * hand. `claims` counts the claim queries it runs (none is expected); `orphans` scripts the answers of the release of
 * lost claims (true: it succeeds; false: it throws).
 */
function handingOver(opts: { concurrency: number; perEndpoint: number; orphans?: boolean[] }) {
  const requests: { job: Job; answer: () => void }[] = [];
  const recorded: number[] = [];
  const orphanAnswers = [...(opts.orphans ?? [])];
  const calls = { claims: 0, orphanReleases: 0 };
  const dispatcher = createCrmDispatcher<Job, number>({
    claim: async () => {
      calls.claims += 1;
      return [];
    },
    attempt: (job) => new Promise<number>((resolve) => requests.push({ job, answer: () => resolve(job.id) })),
    record: async (outcomes) => {
      recorded.push(...outcomes);
    },
    endpointOf: (job) => job.endpoint,
    idOf: (job) => String(job.id),
    waited: () => false,
    backlogPerSecond: 0,
    releaseOrphans: async () => {
      calls.orphanReleases += 1;
      if (orphanAnswers.shift() === false) throw new Error('connection lost');
      return 1;
    },
    concurrency: opts.concurrency,
    perEndpoint: opts.perEndpoint,
    pollIntervalMs: 10,
    log: createLogger('silent', false),
  });
  let next = 0;
  const handOver = (endpoint: string, want: number) => {
    const n = dispatcher.reserve(endpoint, want);
    dispatcher.launch(Array.from({ length: n }, () => ({ id: (next += 1), endpoint })));
    if (n < want) dispatcher.poke();
    return n;
  };
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
  return { dispatcher, requests, recorded, calls, handOver, wait };
}

describe('CRM dispatcher handing over only (`serve --no-workers`)', () => {
  it('sends what its writers hand over, up to every slot it has, and never claims', async () => {
    const h = handingOver({ concurrency: 8, perEndpoint: 8 });
    h.dispatcher.startHandingOver();
    expect([h.dispatcher.running(), h.dispatcher.claiming()]).toEqual([true, false]);
    // all eight slots, where a claiming process keeps all but its fresh share (1 of 8) for older deliveries it claims
    expect(h.handOver('a', 10)).toBe(8);
    expect(h.requests).toHaveLength(8);
    // what it had no room for is the workers' (the outbox announces it): a poke, a retry coming due, a freed slot
    // start no claim here
    h.dispatcher.wakeAt(new Date(Date.now() + 5));
    for (const r of h.requests.splice(0)) r.answer();
    await h.wait(60);
    expect(h.recorded.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(h.calls.claims).toBe(0);
    await h.dispatcher.stop();
    expect([h.dispatcher.running(), h.dispatcher.claiming()]).toEqual([false, false]);
  });

  it('holds a delivery for a free slot at a capped endpoint, then starts it', async () => {
    const h = handingOver({ concurrency: 8, perEndpoint: 2 });
    h.dispatcher.startHandingOver();
    expect(h.handOver('a', 3)).toBe(3);
    expect(h.requests.map((r) => r.job.id)).toEqual([1, 2]);
    h.requests.shift()?.answer();
    await h.wait(20);
    expect(h.requests.map((r) => r.job.id)).toEqual([2, 3]);
    for (const r of h.requests.splice(0)) r.answer();
    await h.dispatcher.stop();
    expect(h.recorded.sort()).toEqual([1, 2, 3]);
  });

  it('releases lost claims at once when a hand-over fails, retrying after a back-off until it can', async () => {
    const h = handingOver({ concurrency: 8, perEndpoint: 8, orphans: [false, true] });
    h.dispatcher.startHandingOver();
    expect(h.dispatcher.reserve('a', 2)).toBe(2);
    // the transaction that wrote them failed (its answer may have been lost with the connection)
    h.dispatcher.release('a', 2);
    await h.wait(20);
    expect(h.calls.orphanReleases).toBe(1);
    await h.wait(150); // the first back-off is 100 ms
    expect(h.calls.orphanReleases).toBe(2);
    await h.wait(150);
    expect(h.calls.orphanReleases).toBe(2);
    // the slots came back
    expect(h.dispatcher.reserve('a', 8)).toBe(8);
    h.dispatcher.release('a', 8);
    await h.dispatcher.stop();
    expect(h.calls.claims).toBe(0);
  });

  it('stops retrying the release when it is stopped', async () => {
    const h = handingOver({ concurrency: 8, perEndpoint: 8, orphans: [false, false, false, false] });
    h.dispatcher.startHandingOver();
    h.dispatcher.release('a', h.dispatcher.reserve('a', 1));
    await h.wait(20);
    await h.dispatcher.stop();
    const after = h.calls.orphanReleases;
    await h.wait(250);
    expect(h.calls.orphanReleases).toBe(after);
  });
});
