import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../shared/logger.ts';
import { createCrmDispatcher } from './crm-dispatcher.ts';

type Job = { id: number; endpoint: string };

/**
 * A dispatcher whose requests and outcome writes the test answers by hand: deliveries are handed over (reserve, then
 * launch), as webhook processing does, and the claim query finds nothing.
 * `leases`: the claim query counts, as the real one does, the leases of deliveries whose outcomes are not written.
 */
function harness(opts: { concurrency: number; perEndpoint: number; leases?: boolean }) {
  const requests: { job: Job; answer: () => void }[] = [];
  const writes: { outcomes: number[]; done: () => void }[] = [];
  /** what the next claims find (a claim query that cannot see this process's reserved slots) */
  const due: Job[] = [];
  /** leases per endpoint: deliveries handed over or claimed whose outcomes are not written */
  const leased = new Map<string, number>();
  const endpointOfId = new Map<number, string>();
  const lease = (endpoint: string, delta: number) => leased.set(endpoint, (leased.get(endpoint) ?? 0) + delta);
  const claim = async (limit: number) => {
    if (!opts.leases) return due.splice(0, limit);
    const taken: Job[] = [];
    for (const job of [...due]) {
      if (taken.length === limit) break;
      if ((leased.get(job.endpoint) ?? 0) >= opts.perEndpoint) continue;
      due.splice(due.indexOf(job), 1);
      lease(job.endpoint, 1);
      endpointOfId.set(job.id, job.endpoint);
      taken.push(job);
    }
    return taken;
  };
  const dispatcher = createCrmDispatcher<Job, number>({
    claim,
    attempt: (job) => new Promise<number>((resolve) => requests.push({ job, answer: () => resolve(job.id) })),
    record: (outcomes) =>
      new Promise<void>((resolve) =>
        writes.push({
          outcomes: [...outcomes],
          done: () => {
            for (const id of outcomes) lease(endpointOfId.get(id) ?? '', -1);
            resolve();
          },
        }),
      ),
    endpointOf: (job) => job.endpoint,
    idOf: (job) => String(job.id),
    releaseOrphans: async () => 0,
    concurrency: opts.concurrency,
    perEndpoint: opts.perEndpoint,
    pollIntervalMs: 60_000,
    log: createLogger('silent', false),
  });
  let next = 0;
  /** Hands over up to `want` new deliveries to `endpoint`, poking for the rest as the outbox does; answers how many were taken. */
  const handOver = (endpoint: string, want: number) => {
    const n = dispatcher.reserve(endpoint, want);
    const jobs = Array.from({ length: n }, () => ({ id: (next += 1), endpoint }));
    for (const job of jobs) {
      lease(endpoint, 1);
      endpointOfId.set(job.id, endpoint);
    }
    dispatcher.launch(jobs);
    // with leases counted, the rest are written unclaimed for the claim query to find
    if (opts.leases) for (let i = n; i < want; i += 1) due.push({ id: 1000 + (next += 1), endpoint });
    if (n < want) dispatcher.poke();
    return n;
  };
  const tick = () => new Promise((r) => setTimeout(r, 15));
  return { dispatcher, requests, writes, due, handOver, tick };
}

describe('CRM dispatcher slots', () => {
  it("gives an endpoint's slot back when its request is answered, not when the outcome is written", async () => {
    const h = harness({ concurrency: 8, perEndpoint: 2 });
    h.dispatcher.start();
    await h.tick();
    expect(h.handOver('a', 5)).toBe(2);
    expect(h.handOver('a', 1)).toBe(0);
    for (const r of h.requests.splice(0)) r.answer();
    await h.tick();
    // the first outcome write is under way and not finished: the endpoint has its two slots again
    expect(h.writes.length).toBe(1);
    expect(h.handOver('a', 5)).toBe(2);
    expect(h.requests.map((r) => r.job.id)).toEqual([3, 4]);
    for (const r of h.requests.splice(0)) r.answer();
    await h.tick();
    for (const w of h.writes.splice(0)) w.done();
    await h.tick();
    for (const w of h.writes.splice(0)) w.done();
    await h.dispatcher.stop();
  });

  it('holds claimed deliveries to an endpoint whose slots hand-overs took, and starts them as slots free', async () => {
    const h = harness({ concurrency: 8, perEndpoint: 2 });
    h.dispatcher.start();
    await h.tick();
    expect(h.handOver('a', 2)).toBe(2);
    h.due.push({ id: 101, endpoint: 'a' }, { id: 102, endpoint: 'a' }, { id: 201, endpoint: 'b' });
    h.dispatcher.poke();
    await h.tick();
    // b has room; a has none until one of its requests is answered
    expect(h.requests.map((r) => r.job.id)).toEqual([1, 2, 201]);
    h.requests.shift()?.answer();
    await h.tick();
    expect(h.requests.map((r) => r.job.id)).toEqual([2, 201, 101]);
    h.requests.shift()?.answer();
    await h.tick();
    expect(h.requests.map((r) => r.job.id)).toEqual([201, 101, 102]);
    for (const r of h.requests.splice(0)) r.answer();
    for (let i = 0; i < 4; i += 1) {
      await h.tick();
      for (const w of h.writes.splice(0)) w.done();
    }
    await h.dispatcher.stop();
  });

  it("claims the deliveries its own unwritten outcomes kept from the claim query once they are written", async () => {
    const h = harness({ concurrency: 8, perEndpoint: 2, leases: true });
    h.dispatcher.start();
    await h.tick();
    // two handed over, three written unclaimed; the claim the poke makes finds the endpoint at its cap by those leases
    expect(h.handOver('a', 5)).toBe(2);
    await h.tick();
    expect(h.requests.map((r) => r.job.id)).toEqual([1, 2]);
    // answered: the slots are free here, but the leases count until the outcomes are written, so the looks the
    // freed slots make find nothing either
    for (const r of h.requests.splice(0)) r.answer();
    await h.tick();
    expect(h.requests).toEqual([]);
    // each outcome written one at a time: each written lease lets the next claim take one more, with no poll
    for (let i = 0; i < 10 && h.due.length + h.requests.length + h.writes.length > 0; i += 1) {
      for (const w of h.writes.splice(0, 1)) w.done();
      await h.tick();
      for (const r of h.requests.splice(0)) r.answer();
      await h.tick();
    }
    expect(h.due).toEqual([]);
    expect(h.writes).toEqual([]);
    await h.dispatcher.stop();
  });

  it('starts nothing more while more outcomes than its concurrency wait to be written', async () => {
    const h = harness({ concurrency: 2, perEndpoint: 2 });
    h.dispatcher.start();
    await h.tick();
    let written = 0;
    // every request answered at once; no outcome write ever finishes
    for (let round = 0; round < 10; round += 1) {
      written += h.handOver(`e${round}`, 2);
      for (const r of h.requests.splice(0)) r.answer();
      await h.tick();
    }
    // two writes' worth at most: one under way with the first outcomes, and what waits for the next
    expect(written).toBeGreaterThan(2);
    expect(written).toBeLessThanOrEqual(2 + 2 + 1);
    expect(h.handOver('late', 1)).toBe(0);
    for (let i = 0; i < 4 && h.writes.length > 0; i += 1) {
      for (const w of h.writes.splice(0)) w.done();
      await h.tick();
    }
    // the poke made while it was full is answered by a claim once the writes are done; then hand-overs resume
    let taken = 0;
    for (let i = 0; i < 100 && taken === 0; i += 1) {
      await h.tick();
      taken = h.handOver('late', 1);
    }
    expect(taken).toBe(1);
    for (const r of h.requests.splice(0)) r.answer();
    await h.tick();
    for (const w of h.writes.splice(0)) w.done();
    await h.dispatcher.stop();
  });
});
