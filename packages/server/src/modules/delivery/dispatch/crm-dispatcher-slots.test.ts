import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../shared/logger.ts';
import { createCrmDispatcher } from './crm-dispatcher.ts';

type Job = { id: number; endpoint: string };

/**
 * A dispatcher whose requests and outcome writes the test answers by hand: deliveries are handed over (reserve, then
 * launch), as webhook processing does, and the claim query finds what the test puts in `due`.
 * `counts`: the claim query keeps each endpoint under the cap it is given, counting the process's own deliveries as
 * the dispatcher says (`own`), as the real one does; otherwise it takes whatever is due.
 */
function harness(opts: { concurrency: number; perEndpoint: number; counts?: boolean }) {
  const requests: { job: Job; answer: () => void }[] = [];
  const writes: { outcomes: number[]; done: () => void }[] = [];
  /** what the next claims find */
  const due: Job[] = [];
  const claim = async (limit: number, perEndpoint: number, own: ReadonlyMap<string, number>) => {
    if (!opts.counts) return due.splice(0, limit);
    const taken: Job[] = [];
    const inFlight = new Map(own);
    for (const job of [...due]) {
      if (taken.length === limit) break;
      if ((inFlight.get(job.endpoint) ?? 0) >= perEndpoint) continue;
      due.splice(due.indexOf(job), 1);
      inFlight.set(job.endpoint, (inFlight.get(job.endpoint) ?? 0) + 1);
      taken.push(job);
    }
    return taken;
  };
  const dispatcher = createCrmDispatcher<Job, number>({
    claim,
    attempt: (job) => new Promise<number>((resolve) => requests.push({ job, answer: () => resolve(job.id) })),
    record: (outcomes) => new Promise<void>((resolve) => writes.push({ outcomes: [...outcomes], done: resolve })),
    endpointOf: (job) => job.endpoint,
    idOf: (job) => String(job.id),
    waited: () => true,
    backlogPerSecond: 0,
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
    dispatcher.launch(Array.from({ length: n }, () => ({ id: (next += 1), endpoint })));
    // with counting, the rest are written unclaimed for the claim query to find
    if (opts.counts) for (let i = n; i < want; i += 1) due.push({ id: 1000 + (next += 1), endpoint });
    if (n < want) dispatcher.poke();
    return n;
  };
  const tick = () => new Promise((r) => setTimeout(r, 15));
  return { dispatcher, requests, writes, due, handOver, tick };
}

/** Starts the dispatcher with ten deliveries due at `a` (101…110): its claim takes three (the claims' share of a cap of 4). */
async function startWithBacklog(h: ReturnType<typeof harness>): Promise<void> {
  h.dispatcher.start();
  await h.tick();
  for (let id = 101; id <= 110; id += 1) h.due.push({ id, endpoint: 'a' });
  h.dispatcher.poke();
  await h.tick();
  expect(h.requests.map((r) => r.job.id)).toEqual([101, 102, 103]);
}

/** Answers the request of delivery `id`. */
function answer(h: ReturnType<typeof harness>, id: number): void {
  const i = h.requests.findIndex((r) => r.job.id === id);
  expect(i).toBeGreaterThanOrEqual(0);
  h.requests.splice(i, 1)[0]?.answer();
}

/** Answers every request and finishes every write until nothing is left. */
async function drain(h: ReturnType<typeof harness>): Promise<void> {
  for (let i = 0; i < 20 && h.requests.length + h.writes.length > 0; i += 1) {
    for (const r of h.requests.splice(0)) r.answer();
    await h.tick();
    for (const w of h.writes.splice(0)) w.done();
    await h.tick();
  }
  expect(h.requests).toEqual([]);
}

describe('CRM dispatcher slots', () => {
  it("gives an endpoint's slot back when its request is answered, not when the outcome is written", async () => {
    const h = harness({ concurrency: 8, perEndpoint: 4 });
    h.dispatcher.start();
    await h.tick();
    expect(h.handOver('a', 4)).toBe(4);
    // taken too, but the endpoint is at its cap: it waits in the process for a slot
    expect(h.handOver('a', 1)).toBe(1);
    expect(h.requests.map((r) => r.job.id)).toEqual([1, 2, 3, 4]);
    for (const r of h.requests.splice(0)) r.answer();
    await h.tick();
    // the first outcome write is under way and not finished: the endpoint has its slots again
    expect(h.writes.length).toBe(1);
    expect(h.requests.map((r) => r.job.id)).toEqual([5]);
    // (the slots freed at the cap made the dispatcher look for due deliveries: nothing older is due)
    await h.tick();
    expect(h.handOver('a', 5)).toBe(5);
    expect(h.requests.map((r) => r.job.id)).toEqual([5, 6, 7, 8]);
    await drain(h);
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

  it('counts its own deliveries as it knows them: answered attempts whose outcomes are not written leave the claim room', async () => {
    // a cap of 4: claims take up to 3, the fourth slot is kept for new deliveries (freshShares)
    const h = harness({ concurrency: 16, perEndpoint: 4, counts: true });
    h.dispatcher.start();
    await h.tick();
    expect(h.handOver('a', 4)).toBe(4);
    // three more written by another process, say: the claim the poke makes finds the endpoint busy with the four
    h.due.push({ id: 1001, endpoint: 'a' }, { id: 1002, endpoint: 'a' }, { id: 1003, endpoint: 'a' });
    h.dispatcher.poke();
    await h.tick();
    expect(h.requests.map((r) => r.job.id)).toEqual([1, 2, 3, 4]);
    // answered, their outcomes not written yet (their rows still leased): the slots are free, and claimed at once
    for (const r of h.requests.splice(0)) r.answer();
    await h.tick();
    expect(h.writes.length).toBeGreaterThan(0);
    expect(h.requests.map((r) => r.job.id)).toEqual([1001, 1002, 1003]);
    expect(h.due).toEqual([]);
    await drain(h);
    await h.dispatcher.stop();
  });

  it('starts new deliveries at once while a backlog drains, within the fresh share of the endpoint; the backlog keeps the rest', async () => {
    // a cap of 4: claims take up to 3 (freshShares), the fourth place is the new deliveries'
    const h = harness({ concurrency: 16, perEndpoint: 4, counts: true });
    await startWithBacklog(h);
    // two new ones: the first starts at once, ahead of the seven still due; the second waits for the fresh place
    expect(h.handOver('a', 2)).toBe(2);
    expect(h.requests.map((r) => r.job.id)).toEqual([101, 102, 103, 1]);
    answer(h, 1);
    await h.tick();
    expect(h.requests.map((r) => r.job.id)).toEqual([101, 102, 103, 2]);
    expect(h.due).toHaveLength(7);
    // the backlog drains in its order, three at a time
    answer(h, 101);
    await h.tick();
    expect(h.requests.map((r) => r.job.id)).toEqual([102, 103, 2, 104]);
    await drain(h);
    expect(h.due).toEqual([]);
    await h.dispatcher.stop();
  });

  it("takes a round of new deliveries larger than the fresh share while a backlog fills the process's room, and starts each ahead of that backlog", async () => {
    // a cap of 4 and a process of 4: claims take 3, and new deliveries have a fresh share of 1
    const h = harness({ concurrency: 4, perEndpoint: 4, counts: true });
    await startWithBacklog(h);
    // a round of five new events: four are taken (up to the concurrency, started or held), not only the share of 1;
    // the fifth is written unclaimed and waits behind the backlog
    expect(h.handOver('a', 5)).toBe(4);
    expect(h.requests.map((r) => r.job.id)).toEqual([101, 102, 103, 1]);
    // each starts as the one before it is answered, while the backlog keeps its three places
    for (const id of [1, 2, 3]) {
      answer(h, id);
      await h.tick();
      expect(h.requests.map((r) => r.job.id)).toEqual([101, 102, 103, id + 1]);
    }
    expect(h.due.map((j) => j.id)).toEqual([104, 105, 106, 107, 108, 109, 110, 1005]);
    await drain(h);
    expect(h.due).toEqual([]);
    await h.dispatcher.stop();
  });

  it('starts nothing more while more outcomes than twice its concurrency wait to be written', async () => {
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
    // bounded: beyond the concurrency's worth of outcomes waiting, new ones go on being handed over (up to the
    // concurrency in use) until twice the concurrency wait; then nothing
    expect(written).toBeGreaterThan(2);
    expect(written).toBeLessThanOrEqual(2 * 2 + 2 + 2);
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
