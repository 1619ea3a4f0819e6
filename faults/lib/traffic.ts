// The two ends of the fault suite that are not Threadline: Meta (signed webhook POSTs at a steady rate, some sent
// twice, some redelivered later out of order) and a CRM receiver that can be up, down (503), slow or gone (410).
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { signMetaBody } from '../../packages/server/src/instagram/webhook-signature.ts';

/** Every message text of the suite starts with this: the logs must never contain it. */
export const TEXT_PREFIX = 'confidential-dm-';

export type CrmMode = 'ok' | 'down' | 'slow' | 'gone';

export type CrmReceiver = {
  url: string;
  /** message text → webhook-ids of its `message.received` deliveries, each with how often it was accepted */
  received: Map<string, Map<string, number>>;
  /** message text → when its event first arrived (performance.now()) */
  firstArrival: Map<string, number>;
  setMode(mode: CrmMode, slowMs?: number): void;
  close(): Promise<void>;
};

const textOf = (raw: string): string | null => {
  const at = raw.indexOf(`"text":"${TEXT_PREFIX}`);
  return at < 0 ? null : raw.slice(at + 8, raw.indexOf('"', at + 8));
};

export async function startCrmReceiver(): Promise<CrmReceiver> {
  let mode: CrmMode = 'ok';
  let slowMs = 10_000;
  const received = new Map<string, Map<string, number>>();
  const firstArrival = new Map<string, number>();
  const pending = new Set<ServerResponse>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = () => {
        pending.delete(res);
        if (mode === 'down') return void res.writeHead(503).end();
        if (mode === 'gone') return void res.writeHead(410).end();
        const raw = Buffer.concat(chunks).toString('utf8');
        const text = raw.includes('"type":"message.received"') ? textOf(raw) : null;
        if (text) {
          const id = String(req.headers['webhook-id']);
          const ids = received.get(text) ?? new Map<string, number>();
          ids.set(id, (ids.get(id) ?? 0) + 1);
          received.set(text, ids);
          if (!firstArrival.has(text)) firstArrival.set(text, performance.now());
        }
        res.writeHead(204).end();
      };
      if (mode === 'slow') {
        pending.add(res);
        setTimeout(answer, slowMs).unref();
      } else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/crm`,
    received,
    firstArrival,
    setMode(m, ms) {
      mode = m;
      if (ms !== undefined) slowMs = ms;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type SentEvent = { text: string; body: string };

export type RunTraffic = {
  tag: string;
  /** every event sent, by text */
  events: Map<string, SentEvent>;
  /** text → when Meta first got a 2xx for it (performance.now()) */
  acked: Map<string, number>;
  /** when each 2xx arrived, in order (performance.now()) */
  okTimes: number[];
  posts: { ok: number; unavailable: number; otherStatus: number; failed: number };
  /** why POSTs failed without an answer, by error code (refused while a process was down, timed out…) */
  failures: Map<string, number>;
};

/**
 * Meta's side for one Threadline origin (or several, round robin: the API processes of a scaled-out install). Each
 * run sends `rate` events a second for `seconds`; `duplicates` of them are POSTed twice at once, and every
 * `redeliverEvery`-th POST also redelivers an earlier event of the run (Meta's retries arrive late and out of order).
 */
export function createMetaSender(opts: { origins: () => readonly string[]; appSecret: string; igAccount: string }) {
  const pools = new Map<string, Pool>();
  const poolFor = (origin: string) => {
    let pool = pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, { connections: 64, pipelining: 1, connectTimeout: 2_000, headersTimeout: 15_000, bodyTimeout: 15_000 });
      pools.set(origin, pool);
    }
    return pool;
  };
  let runs = 0;
  let next = 0;

  async function post(run: RunTraffic, event: SentEvent): Promise<void> {
    const origins = opts.origins();
    const origin = origins[next++ % origins.length];
    if (!origin) return;
    try {
      const res = await poolFor(origin).request({
        path: '/webhooks/instagram',
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMetaBody(Buffer.from(event.body), opts.appSecret) },
        body: event.body,
      });
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) {
        const at = performance.now();
        run.posts.ok += 1;
        run.okTimes.push(at);
        if (!run.acked.has(event.text)) run.acked.set(event.text, at);
      } else if (res.statusCode === 503) run.posts.unavailable += 1;
      else run.posts.otherStatus += 1;
    } catch (error) {
      run.posts.failed += 1;
      const code = (error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : null) ?? (error instanceof Error ? error.name : 'unknown');
      run.failures.set(code, (run.failures.get(code) ?? 0) + 1);
    }
  }

  function body(text: string, n: number, ts: number, tag: string): string {
    return JSON.stringify({
      object: 'instagram',
      entry: [
        {
          id: opts.igAccount,
          time: ts,
          messaging: [
            {
              sender: { id: `77000000${n % 50}` },
              recipient: { id: opts.igAccount },
              timestamp: ts,
              message: { mid: `aWdfZmF1bHQ${tag}x${n}`, text },
            },
          ],
        },
      ],
    });
  }

  return {
    /** Sends one run; resolves when every POST of it is answered. */
    async drive(o: {
      rate: number;
      seconds: number;
      duplicates?: number;
      /** while true, every event is POSTed this many times at once (a duplicate storm) */
      storm?: () => number;
      redeliverEvery?: number;
      onTick?: (elapsedMs: number) => void;
    }): Promise<RunTraffic> {
      runs += 1;
      const tag = `r${runs}${randomBytes(2).toString('hex')}`;
      const run: RunTraffic = {
        tag,
        events: new Map(),
        acked: new Map(),
        okTimes: [],
        posts: { ok: 0, unavailable: 0, otherStatus: 0, failed: 0 },
        failures: new Map(),
      };
      const count = Math.round(o.rate * o.seconds);
      const started = performance.now();
      const inflight = new Set<Promise<void>>();
      const sent: SentEvent[] = [];
      const fire = (event: SentEvent) => {
        const p: Promise<void> = post(run, event).finally(() => inflight.delete(p));
        inflight.add(p);
      };
      for (let n = 0; n < count; n += 1) {
        const wait = started + (n * 1000) / o.rate - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        o.onTick?.(performance.now() - started);
        const text = `${TEXT_PREFIX}${tag}-${n}`;
        const event = { text, body: body(text, n, Date.now(), tag) };
        run.events.set(text, event);
        sent.push(event);
        fire(event);
        if (Math.random() < (o.duplicates ?? 0.1)) fire(event);
        for (let copy = 1; copy < (o.storm?.() ?? 1); copy += 1) fire(event);
        const every = o.redeliverEvery ?? 25;
        if (every > 0 && n % every === every - 1 && sent.length > 10) {
          const earlier = sent[Math.floor(Math.random() * (sent.length - 5))];
          if (earlier) fire(earlier);
        }
        if (inflight.size >= 512) await Promise.race(inflight);
      }
      await Promise.all(inflight);
      return run;
    },
    /** Sends the run's events again that were never acknowledged (Meta keeps retrying them), until all are or `ms` passes. */
    async retryUnacknowledged(run: RunTraffic, ms: number): Promise<void> {
      const until = performance.now() + ms;
      while (performance.now() < until) {
        const missing = [...run.events.values()].filter((e) => !run.acked.has(e.text));
        if (missing.length === 0) return;
        // Meta's retries come spread out, not all at once
        for (let i = 0; i < missing.length && performance.now() < until; i += 50) await Promise.all(missing.slice(i, i + 50).map((e) => post(run, e)));
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async close() {
      await Promise.all([...pools.values()].map((p) => p.close()));
    },
  };
}
export type MetaSender = ReturnType<typeof createMetaSender>;
