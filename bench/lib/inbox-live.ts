// Live updates under load: `clients` SSE streams (GET /api/v1/ui/events) open on one account while signed
// Meta webhooks with one customer message each are POSTed open-loop at `rate` events/s. For every (client, message)
// pair: the time from the POST's 200 (Meta's delivery acknowledged) to that client reading the event with the
// message's mid. The first second is a warm-up and is not counted.
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { signBody } from './ingest-payloads.ts';
import { percentile } from './stats.ts';

export type LiveSettings = { clients: number; rate: number; seconds: number; drainSeconds: number };
export type LiveResult = {
  clients: number;
  connected: number;
  offered: number;
  acked: number;
  shed: number;
  failed: number;
  /** (client, message) pairs expected and received, after the warm-up second. */
  expected: number;
  received: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
};

type Stream = { received: Map<number, number>; stop: () => void };

async function openStream(origin: string, token: string, marker: RegExp): Promise<Stream | null> {
  const controller = new AbortController();
  const received = new Map<number, number>();
  const res = await fetch(`${origin}/api/v1/ui/events`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: controller.signal });
  if (res.status !== 200 || !res.body) {
    controller.abort();
    return null;
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        const at = performance.now();
        buffer += decoder.decode(value, { stream: true });
        const end = buffer.lastIndexOf('\n\n');
        if (end < 0) continue;
        const complete = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        for (const m of complete.matchAll(marker)) {
          const seq = Number(m[1]);
          if (!received.has(seq)) received.set(seq, at);
        }
      }
    } catch {
      // aborted at the end of the run
    }
  })();
  return { received, stop: () => controller.abort() };
}

export async function runLiveUpdates(opts: {
  origin: string;
  token: string;
  appSecret: string;
  /** The account's Instagram id (webhook entry id) and IGSIDs of customers who already have conversations there. */
  igUserId: string;
  customers: string[];
  settings: LiveSettings;
}): Promise<LiveResult> {
  const { settings: s } = opts;
  const runId = Math.random().toString(36).slice(2, 8);
  const midPrefix = `aWdfbGl2ZQ_${runId}_`;
  const marker = new RegExp(`"mid":"${midPrefix}(\\d+)"`, 'g');
  const streams: Stream[] = [];
  for (let i = 0; i < s.clients; i += 1) {
    const stream = await openStream(opts.origin, opts.token, marker);
    if (stream) streams.push(stream);
  }
  await sleep(500);

  const total = Math.round(s.rate * s.seconds);
  const warmup = Math.round(s.rate);
  const bodies = Array.from({ length: total }, (_, seq) => {
    const ts = Date.now() + Math.round((seq / s.rate) * 1000);
    const customer = opts.customers[seq % opts.customers.length] ?? '';
    const body = Buffer.from(
      JSON.stringify({
        object: 'instagram',
        entry: [{ id: opts.igUserId, time: ts, messaging: [{ sender: { id: customer }, recipient: { id: opts.igUserId }, timestamp: ts, message: { mid: `${midPrefix}${seq}`, text: `Live update ${seq}` } }] }],
      }),
    );
    return { body, signature: signBody(body, opts.appSecret) };
  });

  const pool = new Pool(opts.origin, { connections: 32, pipelining: 1, headersTimeout: 30_000, bodyTimeout: 30_000 });
  const ackedAt = new Map<number, number>();
  const inFlight = new Set<Promise<void>>();
  let shed = 0;
  let failed = 0;
  const t0 = performance.now();
  // Bounded by the plan: one pass over `total` POSTs, each sent when due (shed when 256 are already in flight).
  for (let seq = 0; seq < total; ) {
    const now = performance.now() - t0;
    while (seq < total && (seq / s.rate) * 1000 <= now) {
      const item = bodies[seq];
      const mine = seq;
      seq += 1;
      if (!item) continue;
      if (inFlight.size >= 256) {
        shed += 1;
        continue;
      }
      const p = pool
        .request({ method: 'POST', path: '/webhooks/instagram', headers: { 'content-type': 'application/json', 'x-hub-signature-256': item.signature }, body: item.body })
        .then(
          async (res) => {
            await res.body.dump();
            if (res.statusCode === 200) ackedAt.set(mine, performance.now());
            else failed += 1;
          },
          () => {
            failed += 1;
          },
        )
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await sleep(1);
  }
  await Promise.allSettled([...inFlight]);

  // Wait (bounded) until every stream has every acknowledged message.
  const counted = [...ackedAt.keys()].filter((seq) => seq >= warmup);
  const deadline = performance.now() + s.drainSeconds * 1000;
  while (performance.now() < deadline && streams.some((st) => counted.some((seq) => !st.received.has(seq)))) await sleep(250);
  for (const st of streams) st.stop();
  await pool.close();

  const latencies: number[] = [];
  for (const st of streams) {
    for (const seq of counted) {
      const at = st.received.get(seq);
      const ack = ackedAt.get(seq);
      if (at !== undefined && ack !== undefined) latencies.push(at - ack);
    }
  }
  latencies.sort((a, b) => a - b);
  return {
    clients: s.clients,
    connected: streams.length,
    offered: total,
    acked: ackedAt.size,
    shed,
    failed,
    expected: counted.length * streams.length,
    received: latencies.length,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? Number.NaN,
  };
}
