// CRM delivery benchmark: Meta-shaped webhooks in, a local CRM receiver out, everything on 127.0.0.1.
// Threadline runs as its own process (`main.ts serve`), as in production; this process is Meta (signed POSTs at a
// fixed rate) and the CRM (a node:http receiver). Prints end-to-end latency (Meta's POST acknowledged → the CRM
// receives the event) at 500 and 2,000 events/s, delivery throughput, and an outage run (the receiver answers 503
// for 60 s while 20,000 events flow).
// Settings (environment): BENCH_ENGINES=pglite,postgres (PostgreSQL in a fresh database on BENCH_PG_URL, default
// postgres://root@127.0.0.1:5432/postgres, dropped afterwards); BENCH_SCALE=0.1 shrinks every count and duration
// for a quick look; BENCH_THREADLINE_ENV=KEY=value,… passes settings to the Threadline process (experiments);
// BENCH_TOPOLOGIES=one,split: `one` is a single `threadline serve` (as `npm start`), `split` (PostgreSQL only) is
// `threadline serve --no-workers` answering Meta plus one `threadline worker` processing and delivering.
// Every loop is bounded; it stops by itself.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { accountListSchema } from '@threadline/contract';
import { Pool } from 'undici';
import { signMetaBody } from '../packages/server/src/instagram/webhook-signature.ts';
import { cpuShare, cpuSnapshot } from './lib/cpu.ts';
import { createBenchDatabase, openPg, openPgliteDir, postgresSettings, type Sql } from './lib/ingest-db.ts';
import { freePort, startBackground, startServer, threadlineBaseEnv, type ServerProcess } from './lib/processes.ts';
import { createFirstAdmin, login } from './lib/threadline-admin.ts';

const env = process.env;
const SCALE = Number(env.BENCH_SCALE ?? '1');
const ENGINES = (env.BENCH_ENGINES ?? 'pglite,postgres').split(',').map((e) => e.trim());
const TOPOLOGIES = (env.BENCH_TOPOLOGIES ?? 'one,split').split(',').map((e) => e.trim());
const PG_ADMIN_URL = env.BENCH_PG_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
if (!/^postgres(ql)?:\/\/[^/]*@?(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//.test(PG_ADMIN_URL)) throw new Error('BENCH_PG_URL must point at 127.0.0.1');
const EXTRA_ENV = Object.fromEntries(
  (env.BENCH_THREADLINE_ENV ?? '')
    .split(',')
    .filter((kv) => /^\s*[A-Z_]+=[^,]*$/.test(kv))
    .map((kv) => [kv.slice(0, kv.indexOf('=')).trim(), kv.slice(kv.indexOf('=') + 1).trim()]),
);
const REPO = path.resolve(import.meta.dirname, '..');
const IG_ACCOUNT = '17841400000000777';
const ADMIN = { username: 'bench', password: `bench-${randomBytes(12).toString('hex')}` };

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
    const text = Buffer.concat(chunks).toString('latin1');
    const at0 = text.indexOf('"text":"b');
    const marker = at0 < 0 ? undefined : text.slice(at0 + 8, text.indexOf('"', at0 + 8));
    if (marker && !arrivals.has(marker)) arrivals.set(marker, at);
    res.writeHead(204).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const receiverPort = (receiver.address() as AddressInfo).port;

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

// Meta's side: keep-alive connections from one pool (undici's `request`, far cheaper per POST than `fetch`, so the
// benchmark's own CPU stays small on this 2-core machine).
const pools = new Map<string, Pool>();
async function post(origin: string, secret: string, marker: string, n: number): Promise<number | null> {
  const payload = body(marker, n);
  let pool = pools.get(origin);
  if (!pool) {
    pool = new Pool(origin, { connections: 64, pipelining: 1 });
    pools.set(origin, pool);
  }
  const res = await pool.request({
    path: '/webhooks/instagram',
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMetaBody(Buffer.from(payload), secret) },
    body: payload,
  });
  await res.body.dump();
  return res.statusCode >= 200 && res.statusCode < 300 ? performance.now() : null;
}

/** Sends `count` events at `rate` per second; returns each marker's acknowledgement time. */
async function drive(origin: string, secret: string, rate: number, count: number): Promise<Map<string, number>> {
  run += 1;
  const acks = new Map<string, number>();
  const started = performance.now();
  const inflight = new Set<Promise<void>>();
  for (let n = 0; n < count; n += 1) {
    const due = started + (n * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const marker = `b${run}-${n}`;
    const p: Promise<void> = post(origin, secret, marker, n)
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

/** PostgreSQL only (PGlite belongs to the server): the two legs of the delay, read from the rows of run `tag`. */
async function breakdown(pgUrl: string | null, tag: string): Promise<string> {
  if (!pgUrl) return '';
  const sql = await openPg(pgUrl);
  try {
    const [row] = (await sql.query(
      `select
         percentile_cont(0.5) within group (order by extract(epoch from m.created_at - m.sent_at)) * 1000 as ingest_p50,
         percentile_cont(0.99) within group (order by extract(epoch from m.created_at - m.sent_at)) * 1000 as ingest_p99,
         percentile_cont(0.5) within group (order by extract(epoch from d.succeeded_at - d.created_at)) * 1000 as dispatch_p50,
         percentile_cont(0.99) within group (order by extract(epoch from d.succeeded_at - d.created_at)) * 1000 as dispatch_p99
       from messages m join crm_deliveries d on d.payload->'data'->'message'->>'id' = m.id::text and d.event_type = 'message.received'
       where m.text like $1`,
      [`${tag}-%`],
    )) as Record<string, number | null>[];
    const f = (v: number | null | undefined) => (v == null ? '?' : Number(v).toFixed(0));
    return `  (stored → delivery row written p50 ${f(row?.ingest_p50)} ms, p99 ${f(row?.ingest_p99)} ms; row → CRM answered p50 ${f(row?.dispatch_p50)} ms, p99 ${f(row?.dispatch_p99)} ms)`;
  } finally {
    await sql.close();
  }
}

let currentPgUrl: string | null = null;
let currentPids: { server: number | undefined; worker: number | undefined } = { server: undefined, worker: undefined };

async function latencyRun(origin: string, secret: string, rate: number, seconds: number): Promise<{ p99: number; lost: number }> {
  const count = Math.max(1, Math.round(rate * seconds * SCALE));
  const startedAt = performance.now();
  const before = { server: cpuSnapshot(currentPids.server), worker: cpuSnapshot(currentPids.worker) };
  const acks = await drive(origin, secret, rate, count);
  const cpu = cpuShare(before.server, cpuSnapshot(currentPids.server));
  const workerCpu = currentPids.worker ? cpuShare(before.worker, cpuSnapshot(currentPids.worker)).server : null;
  await waitFor(() => [...acks.keys()].every((m) => arrivals.has(m)), 120_000);
  const elapsed = (performance.now() - startedAt) / 1000;
  const lat = [...acks].map(([m, at]) => (arrivals.get(m) ?? NaN) - at).filter(Number.isFinite).sort((a, b) => a - b);
  console.log(
    `- ${rate} events/s × ${count}: acknowledged ${acks.size}, delivered ${lat.length}; ` +
      `end-to-end p50 ${pct(lat, 50).toFixed(0)} ms, p99 ${pct(lat, 99).toFixed(0)} ms; throughput ${(lat.length / elapsed).toFixed(0)} deliveries/s`,
  );
  const legs = await breakdown(currentPgUrl, `b${run}`);
  if (legs) console.log(legs);
  console.log(
    `  (CPU while sending, % of one core: Threadline ${cpu.server.toFixed(0)}${workerCpu === null ? '' : `, worker ${workerCpu.toFixed(0)}`}, ` +
      `PostgreSQL ${cpu.postgres.toFixed(0)}, this bench ${cpu.bench.toFixed(0)}, machine ${cpu.machine.toFixed(0)} of ${os.availableParallelism() * 100})`,
  );
  return { p99: pct(lat, 99), lost: acks.size - lat.length };
}

async function outageRun(origin: string, secret: string): Promise<{ lost: number }> {
  const count = Math.round(20_000 * SCALE);
  const outageMs = 60_000 * SCALE;
  webhookIds.clear();
  mode = 'down';
  const back = setTimeout(() => (mode = 'ok'), outageMs);
  const acks = await drive(origin, secret, count / (outageMs / 1000), count);
  const sentAt = performance.now();
  const drained = await waitFor(() => webhookIds.size >= acks.size && mode === 'ok', 10 * 60_000);
  clearTimeout(back);
  mode = 'ok';
  const duplicates = [...webhookIds.values()].reduce((sum, n) => sum + n - 1, 0);
  console.log(
    `- outage (503 for ${(outageMs / 1000).toFixed(0)} s) × ${count}: acknowledged ${acks.size}, distinct webhook-ids ${webhookIds.size}` +
      ` (${webhookIds.size === acks.size ? 'no loss' : `LOST ${acks.size - webhookIds.size}`}), duplicates ${duplicates}, ` +
      `drained ${drained ? `${((performance.now() - sentAt) / 1000).toFixed(1)} s after the last event` : 'NOT within 10 min'}`,
  );
  return { lost: acks.size - webhookIds.size };
}

/** The bench account, owned by the bench admin (so the CRM URL is set through the API, as a user would). */
async function insertAccount(sql: Sql): Promise<void> {
  await sql.query(`insert into accounts (ig_user_id, username) values ($1, 'bench_crm')`, [IG_ACCOUNT]);
  await sql.query(
    `insert into user_accounts (user_id, account_id, role, is_primary)
     select u.id, a.id, 'owner', true from users u, accounts a where u.username = $1 and a.ig_user_id = $2`,
    [ADMIN.username, IG_ACCOUNT],
  );
}

async function accountId(origin: string, token: string): Promise<string> {
  const res = await fetch(`${origin}/api/v1/accounts/me`, { headers: { authorization: `Bearer ${token}` } });
  const found = accountListSchema.parse(await res.json()).accounts[0];
  if (!res.ok || !found) throw new Error(`listing accounts answered ${res.status}`);
  return found.id;
}

/** One engine's whole run: its own Threadline process and database; the same receiver. */
async function runEngine(engine: string, topology: string): Promise<boolean> {
  if (engine !== 'pglite' && engine !== 'postgres') throw new Error(`BENCH_ENGINES: unknown engine ${engine}`);
  if (topology !== 'one' && topology !== 'split') throw new Error(`BENCH_TOPOLOGIES: unknown topology ${topology}`);
  const split = topology === 'split';
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-bench-crm-'));
  let pgDb: Awaited<ReturnType<typeof createBenchDatabase>> | null = null;
  let header = 'PGlite (embedded, one process)';
  if (engine === 'postgres') {
    pgDb = await createBenchDatabase(PG_ADMIN_URL);
    const sql = await openPg(pgDb.url);
    header = `PostgreSQL (${await postgresSettings(sql).finally(() => sql.close())})`;
  }
  header += split ? ', `serve --no-workers` + one `worker` process' : ', one `serve` process';
  const secret = randomBytes(24).toString('base64url');
  const port = await freePort();
  const serverEnv: Record<string, string> = {
    ...threadlineBaseEnv({ port, dataDir, appSecret: secret, ...(pgDb ? { databaseUrl: pgDb.url } : {}) }),
    CRM_ALLOWED_NETWORKS: '127.0.0.1/32',
    CRM_ALLOW_HTTP: 'true',
    CRM_RETRY_SCHEDULE: env.CRM_RETRY_SCHEDULE ?? '0,1s,2s,5s,10s,10s,10s,10s,10s,10s,10s,10s',
    ...EXTRA_ENV,
  };
  const main = path.join(REPO, 'packages/server/src/main.ts');
  const start = () => startServer({ label: 'threadline', script: main, args: split ? ['serve', '--no-workers'] : ['serve'], env: serverEnv, port, readyPath: '/readyz' });
  let server: ServerProcess | null = null;
  let worker: Awaited<ReturnType<typeof startBackground>> | null = null;
  try {
    server = await start();
    if (split) worker = await startBackground({ label: 'threadline worker', script: main, args: ['worker'], env: { ...serverEnv, PORT: String(await freePort()) } });
    await createFirstAdmin(server.origin, ADMIN.username, ADMIN.password);
    if (pgDb) {
      const sql = await openPg(pgDb.url);
      await insertAccount(sql).finally(() => sql.close());
    } else {
      // PGlite belongs to one process: stop Threadline, add the account to its directory, start it again.
      await server.stop();
      const sql = await openPgliteDir(path.join(dataDir, 'pglite'));
      await insertAccount(sql).finally(() => sql.close());
      server = await start();
    }
    const token = await login(server.origin, ADMIN.username, ADMIN.password);
    const id = await accountId(server.origin, token);
    const patched = await fetch(`${server.origin}/api/v1/accounts/${id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ crm_webhook_url: `http://127.0.0.1:${receiverPort}/crm` }),
    });
    if (!patched.ok) throw new Error(`setting the CRM URL answered ${patched.status}: ${await patched.text()}`);
    currentPgUrl = pgDb?.url ?? null;
    currentPids = { server: server.pid, worker: worker?.pid };
    console.log(`\n## ${header}`);
    const at500 = await latencyRun(server.origin, secret, 500, 10);
    await latencyRun(server.origin, secret, 2000, 5);
    const outage = await outageRun(server.origin, secret);
    const metrics = await fetch(`${server.origin}/metrics`).then((r) => r.text());
    for (const line of metrics.split('\n').filter((l) => /^threadline_crm_(deliveries|attempts)_total/.test(l))) console.log(`  ${line}`);
    const ok = at500.p99 < 500 && at500.lost === 0 && outage.lost === 0;
    console.log(
      `Targets: p99 at 500 events/s ${at500.p99.toFixed(0)} ms (< 500 ms: ${at500.p99 < 500 ? 'PASS' : 'MISS'}); ` +
        `loss in the outage run ${outage.lost} (${outage.lost === 0 ? 'PASS' : 'MISS'})`,
    );
    return ok;
  } finally {
    for (const pool of pools.values()) await pool.close();
    pools.clear();
    await worker?.stop();
    await server?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    await pgDb?.drop();
  }
}

let failed = 0;
try {
  for (const engine of ENGINES) {
    for (const topology of TOPOLOGIES) {
      if (topology === 'split' && engine !== 'postgres') continue; // PGlite belongs to one process
      if (!(await runEngine(engine, topology))) failed += 1;
    }
  }
} finally {
  receiver.closeAllConnections();
  receiver.close();
}
if (failed > 0) process.exitCode = 1;
