// Open-loop load: every planned POST is sent at its due time whatever the server is doing, over a bounded pool of
// keep-alive connections, with a bounded number of requests in flight (a POST due while the bound is reached is
// shed and counted, never queued: queuing would turn the open loop into a closed one).
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import type { StepPlan } from './ingest-payloads.ts';

export type LoadOptions = { origin: string; path: string; connections: number; maxInFlight: number; requestTimeoutMs: number };

export type StepLoadResult = {
  tag: string;
  offeredRate: number;
  posts: number;
  events: number;
  okPosts: number;
  okEvents: number;
  /** Answers other than 200, by status (0: connection error or time-out). */
  failures: Record<string, number>;
  shedPosts: number;
  /** Acknowledged (200) events per second, over the time from the first send to the last answer. */
  ackRate: number;
  /** Acknowledgement latency of each 200, ms, ascending. */
  latencies: number[];
  /** Wall-clock bounds of the step, epoch ms: first POST due, last POST due, last answer. */
  startedAt: number;
  sendEndedAt: number;
  lastAnswerAt: number;
};

export function createLoadGenerator(opts: LoadOptions) {
  const pool = new Pool(opts.origin, {
    connections: opts.connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: opts.requestTimeoutMs,
    bodyTimeout: opts.requestTimeoutMs,
  });

  async function run(plan: StepPlan): Promise<StepLoadResult> {
    const latencies: number[] = [];
    const failures: Record<string, number> = {};
    const pending = new Set<Promise<void>>();
    let okPosts = 0;
    let okEvents = 0;
    let shedPosts = 0;
    let lastAnswer = 0;
    const t0 = performance.now();
    const startedAt = Date.now();
    const fail = (key: string) => {
      failures[key] = (failures[key] ?? 0) + 1;
    };

    const send = (post: StepPlan['posts'][number]) => {
      const sentAt = performance.now();
      const p = pool
        .request({
          method: 'POST',
          path: opts.path,
          headers: { 'content-type': 'application/json', 'x-hub-signature-256': post.signature },
          body: post.body,
        })
        .then(
          async (res) => {
            await res.body.dump();
            lastAnswer = performance.now();
            if (res.statusCode === 200) {
              okPosts += 1;
              okEvents += post.events;
              latencies.push(lastAnswer - sentAt);
            } else fail(String(res.statusCode));
          },
          () => {
            lastAnswer = performance.now();
            fail('0');
          },
        )
        .finally(() => pending.delete(p));
      pending.add(p);
    };

    let next = 0;
    const posts = plan.posts;
    // Bounded by the plan: the loop ends when the last POST is due, plus at most one tick.
    while (next < posts.length) {
      const now = performance.now() - t0;
      for (let post = posts[next]; post !== undefined && post.sendAtMs <= now; post = posts[next]) {
        if (pending.size >= opts.maxInFlight) shedPosts += 1;
        else send(post);
        next += 1;
      }
      const due = posts[next]?.sendAtMs;
      if (due !== undefined) await sleep(Math.max(0, Math.min(1, due - (performance.now() - t0))));
    }
    const sendEnded = performance.now();
    // Requests carry their own time-out, so this wait is bounded too.
    await Promise.allSettled([...pending]);
    const end = Math.max(lastAnswer, sendEnded);
    return {
      tag: plan.tag,
      offeredRate: plan.rate,
      posts: posts.length,
      events: plan.events,
      okPosts,
      okEvents,
      failures,
      shedPosts,
      ackRate: okEvents / ((end - t0) / 1000),
      latencies: latencies.sort((a, b) => a - b),
      startedAt,
      sendEndedAt: startedAt + (sendEnded - t0),
      lastAnswerAt: startedAt + (end - t0),
    };
  }

  return { run, close: () => pool.close() };
}
export type LoadGenerator = ReturnType<typeof createLoadGenerator>;
