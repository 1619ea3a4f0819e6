// CRM delivery benchmark: Meta-shaped webhooks in, a local CRM receiver out, everything on 127.0.0.1.
// Prints end-to-end latency (Meta's POST acknowledged → the CRM receives the event) at 500 and 2,000 events/s,
// delivery throughput, and an outage run (the receiver answers 503 for 60 s while 20,000 events flow).
// BENCH_SCALE=0.1 shrinks every count and duration for a quick look. Every loop is bounded; it stops by itself.
import fs from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { buildApp } from '../packages/server/src/app.ts';
import { loadConfig } from '../packages/server/src/config.ts';
import { signMetaBody } from '../packages/server/src/instagram/webhook-signature.ts';
import { createAccount, createUser } from '../packages/server/test/factories.ts';

const SCALE = Number(process.env.BENCH_SCALE ?? '1');
const APP_SECRET = 'bench-instagram-app-secret';
const IG_ACCOUNT = '17841400000000777';

type Mode = 'ok' | 'down';
let mode: Mode = 'ok';
const arrivals = new Map<string, number>(); // text marker → first arrival time
const webhookIds = new Map<string, number>(); // webhook-id → times received (2xx answers only)

const receiver = createServer((req, res) => {
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
    const marker = /"text":"(b\d+-\d+)"/.exec(Buffer.concat(chunks).toString('utf8'))?.[1];
    if (marker && !arrivals.has(marker)) arrivals.set(marker, at);
    res.writeHead(204).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const receiverPort = (receiver.address() as AddressInfo).port;

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-bench-'));
const t = await buildApp(
  loadConfig({
    DATA_DIR: dataDir,
    SESSION_SECRET: 'bench-session-secret-0123456789-abcdefghijklmnopqrstuvwxyz',
    INSTAGRAM_OAUTH_CLIENT_SECRET: APP_SECRET,
    CRM_ALLOWED_NETWORKS: '127.0.0.1/32',
    CRM_RETRY_SCHEDULE: process.env.CRM_RETRY_SCHEDULE ?? '0,1s,2s,5s,10s,10s,10s,10s,10s,10s,10s,10s',
    LOG_LEVEL: 'warn',
  }),
);
await t.startWorkers();
await t.app.listen({ port: 0, host: '127.0.0.1' });
const appPort = (t.app.server.address() as AddressInfo).port;
const user = await createUser(t.database.db, { username: 'bench' });
const account = await createAccount(t.database.db, { igUserId: IG_ACCOUNT, members: [{ userId: user.id, role: 'owner' }] });
await t.crm.service.setWebhookUrl(account.id, `http://127.0.0.1:${receiverPort}/crm`, user.id);

let run = 0;
function body(marker: string, n: number) {
  const ts = Date.now();
  return JSON.stringify({
    object: 'instagram',
    entry: [
      {
        id: IG_ACCOUNT,
        time: ts,
        messaging: [
          {
            sender: { id: `99000000${n % 200}` },
            recipient: { id: IG_ACCOUNT },
            timestamp: ts,
            message: { mid: `aWdfbWlkYmVuY2g${marker}`, text: marker },
          },
        ],
      },
    ],
  });
}

async function post(marker: string, n: number): Promise<number | null> {
  const payload = body(marker, n);
  const res = await fetch(`http://127.0.0.1:${appPort}/webhooks/instagram`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMetaBody(Buffer.from(payload), APP_SECRET) },
    body: payload,
  });
  await res.arrayBuffer();
  return res.ok ? performance.now() : null;
}

/** Sends `count` events at `rate` per second; returns each marker's acknowledgement time. */
async function drive(rate: number, count: number): Promise<Map<string, number>> {
  run += 1;
  const acks = new Map<string, number>();
  const started = performance.now();
  const inflight = new Set<Promise<void>>();
  for (let n = 0; n < count; n += 1) {
    const due = started + (n * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const marker = `b${run}-${n}`;
    const p: Promise<void> = post(marker, n)
      .then((at) => void (at !== null && acks.set(marker, at)))
      .catch(() => undefined)
      .finally(() => inflight.delete(p));
    inflight.add(p);
    if (inflight.size >= 256) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  return acks;
}

async function waitFor(check: () => boolean, limitMs: number): Promise<boolean> {
  const until = performance.now() + limitMs;
  while (performance.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function latencyRun(rate: number, seconds: number) {
  const count = Math.max(1, Math.round(rate * seconds * SCALE));
  const startedAt = performance.now();
  const acks = await drive(rate, count);
  await waitFor(() => [...acks.keys()].every((m) => arrivals.has(m)), 120_000);
  const elapsed = (performance.now() - startedAt) / 1000;
  const lat = [...acks].map(([m, at]) => (arrivals.get(m) ?? NaN) - at).filter(Number.isFinite).sort((a, b) => a - b);
  console.log(
    `${rate} events/s × ${count}: acknowledged ${acks.size}, delivered ${lat.length}; ` +
      `end-to-end p50 ${pct(lat, 50).toFixed(0)} ms, p99 ${pct(lat, 99).toFixed(0)} ms; throughput ${(lat.length / elapsed).toFixed(0)} deliveries/s`,
  );
}

async function outageRun() {
  const count = Math.round(20_000 * SCALE);
  const outageMs = 60_000 * SCALE;
  webhookIds.clear();
  mode = 'down';
  const back = setTimeout(() => (mode = 'ok'), outageMs);
  const acks = await drive(count / (outageMs / 1000), count);
  const sentAt = performance.now();
  const drained = await waitFor(() => webhookIds.size >= acks.size && mode === 'ok', 10 * 60_000);
  clearTimeout(back);
  const duplicates = [...webhookIds.values()].reduce((sum, n) => sum + n - 1, 0);
  console.log(
    `outage (503 for ${(outageMs / 1000).toFixed(0)} s) × ${count}: acknowledged ${acks.size}, distinct webhook-ids ${webhookIds.size}` +
      ` (${webhookIds.size === acks.size ? 'no loss' : `LOST ${acks.size - webhookIds.size}`}), duplicates ${duplicates}, ` +
      `drained ${drained ? `${((performance.now() - sentAt) / 1000).toFixed(1)} s after the last event` : 'NOT within 10 min'}`,
  );
}

try {
  await latencyRun(500, 10);
  await latencyRun(2000, 5);
  await outageRun();
  console.log('crm metrics:', JSON.stringify(t.crm.metrics.snapshot()));
} finally {
  await t.close();
  receiver.closeAllConnections();
  receiver.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
