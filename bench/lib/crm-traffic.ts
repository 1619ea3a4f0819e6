// The two ends of the CRM benchmark that are not Threadline: Meta (signed webhook POSTs at a fixed rate) and the
// CRM (a node:http receiver that records when each event first arrived and each webhook-id it accepted).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { signMetaBody } from '../../packages/server/src/instagram/webhook-signature.ts';

export type CrmReceiver = {
  port: number;
  /** text marker → first arrival (performance.now()) */
  arrivals: Map<string, number>;
  /** webhook-id → times accepted (2xx answers only) */
  webhookIds: Map<string, number>;
  /** `down` answers 503 to everything */
  setMode(mode: 'ok' | 'down'): void;
  isUp(): boolean;
  close(): void;
};

export async function startCrmReceiver(): Promise<CrmReceiver> {
  let mode: 'ok' | 'down' = 'ok';
  const arrivals = new Map<string, number>();
  const webhookIds = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (mode === 'down') {
        res.writeHead(503).end();
        return;
      }
      const at = performance.now();
      const id = String(req.headers['webhook-id']);
      webhookIds.set(id, (webhookIds.get(id) ?? 0) + 1);
      const text = Buffer.concat(chunks).toString('latin1');
      const start = text.indexOf('"text":"b');
      const marker = start < 0 ? undefined : text.slice(start + 8, text.indexOf('"', start + 8));
      if (marker && !arrivals.has(marker)) arrivals.set(marker, at);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    arrivals,
    webhookIds,
    setMode: (m) => void (mode = m),
    isUp: () => mode === 'ok',
    close() {
      server.closeAllConnections();
      server.close();
    },
  };
}

function body(igAccount: string, marker: string, n: number) {
  const ts = Date.now();
  return JSON.stringify({
    object: 'instagram',
    entry: [
      {
        id: igAccount,
        time: ts,
        messaging: [
          {
            sender: { id: `99000000${n % 200}` },
            recipient: { id: igAccount },
            timestamp: ts,
            message: { mid: `aWdfbWlkYmVuY2g${marker}`, text: marker },
          },
        ],
      },
    ],
  });
}

/** Runs of every sender of this process: each run's markers are unique, so one receiver can serve several servers. */
let runs = 0;

/**
 * Meta's side, for one Threadline origin: keep-alive connections from one undici pool (far cheaper per POST than
 * `fetch`, so the benchmark's own CPU stays small on a 2-core machine). Each `drive` is a run with its own tag.
 */
export function createMetaSender(opts: { origin: string; appSecret: string; igAccount: string; /** a test CA (through nginx with TLS) */ ca?: string }) {
  const pool = new Pool(opts.origin, { connections: 64, pipelining: 1, ...(opts.ca ? { connect: { ca: opts.ca } } : {}) });
  async function post(marker: string, n: number): Promise<number | null> {
    const payload = body(opts.igAccount, marker, n);
    const res = await pool.request({
      path: '/webhooks/instagram',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMetaBody(Buffer.from(payload), opts.appSecret) },
      body: payload,
    });
    await res.body.dump();
    return res.statusCode >= 200 && res.statusCode < 300 ? performance.now() : null;
  }

  return {
    /**
     * Sends `count` events at `rate` per second. Returns the run's tag, and per marker the time its POST was sent and
     * (for those answered 2xx) acknowledged (performance.now()).
     */
    async drive(rate: number, count: number): Promise<{ tag: string; sent: Map<string, number>; acks: Map<string, number> }> {
      runs += 1;
      const tag = `b${runs}`;
      const sent = new Map<string, number>();
      const acks = new Map<string, number>();
      const started = performance.now();
      const inflight = new Set<Promise<void>>();
      for (let n = 0; n < count; n += 1) {
        const wait = started + (n * 1000) / rate - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        const marker = `${tag}-${n}`;
        sent.set(marker, performance.now());
        const p: Promise<void> = post(marker, n)
          .then((at) => void (at !== null && acks.set(marker, at)))
          .catch(() => undefined)
          .finally(() => inflight.delete(p));
        inflight.add(p);
        if (inflight.size >= 256) await Promise.race(inflight);
      }
      await Promise.all(inflight);
      return { tag, sent, acks };
    },
    close: () => pool.close(),
  };
}
export type MetaSender = ReturnType<typeof createMetaSender>;

export async function waitFor(check: () => boolean, limitMs: number): Promise<boolean> {
  const until = performance.now() + limitMs;
  while (performance.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}
