// CRM delivery benchmark: Meta-shaped webhooks in, a local CRM receiver out, everything on 127.0.0.1.
// Threadline runs as its own process (`main.ts serve`), as in production; this process is Meta (signed POSTs at a
// fixed rate) and the CRM (a node:http receiver). Prints end-to-end latency (Meta's POST acknowledged → the CRM
// receives the event) at 500 and 2,000 events/s, after a warm-up of 3 s at 500 events/s that is printed but not
// counted (a fresh process meeting its customers for the first time), delivery throughput, and an outage run (the
// receiver answers 503 for 60 s while 20,000 events flow).
// Settings (environment): BENCH_ENGINES=pglite,postgres (PostgreSQL in a fresh database on BENCH_PG_URL, default
// postgres://root@127.0.0.1:5432/postgres, dropped afterwards); BENCH_SCALE=0.1 shrinks every count and duration
// for a quick look; BENCH_THREADLINE_ENV=KEY=value,… passes settings to the Threadline process (experiments);
// BENCH_CRM_RUNS=500,2000,outage picks the runs (default all three); BENCH_TOPOLOGIES=one,split: `one` is a single `threadline serve` (as `npm start`), `split` (PostgreSQL only) is
// `threadline serve --no-workers` answering Meta plus one `threadline worker` processing and delivering.
// BENCH_VIA=direct,nginx: `nginx` sends Meta's POSTs through Debian's nginx with deploy/nginx/threadline.conf and a
// self-signed certificate (TLS, as in production) instead of straight to Threadline; both print side by side.
// Every loop is bounded; it stops by itself.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { accountListSchema } from '@threadline/contract';
import { cpuShare, cpuSnapshot } from './lib/cpu.ts';
import { createMetaSender, startCrmReceiver, waitFor, type MetaSender } from './lib/crm-traffic.ts';
import { benchDatabaseOrSkip, openPg, openPgliteDir, postgresSettings, type Sql } from './lib/ingest-db.ts';
import { extraThreadlineEnv, freePort, startBackground, startServer, threadlineBaseEnv, type ServerProcess } from './lib/processes.ts';
import { createFirstAdmin, login } from './lib/threadline-admin.ts';
import { nginxPorts, selfSignedCertificate, startNginx, type Nginx } from '../deploy/test/nginx-proxy.ts';

const env = process.env;
const SCALE = Number(env.BENCH_SCALE ?? '1');
const ENGINES = (env.BENCH_ENGINES ?? 'pglite,postgres').split(',').map((e) => e.trim());
const TOPOLOGIES = (env.BENCH_TOPOLOGIES ?? 'one,split').split(',').map((e) => e.trim());
/** which runs to make: `500` and `2000` (latency at that rate), `outage` */
const RUNS = new Set((env.BENCH_CRM_RUNS ?? '500,2000,outage').split(',').map((e) => e.trim()));
/** how Meta reaches Threadline: `direct`, or `nginx` (TLS through the shipped configuration) */
const VIAS = (env.BENCH_VIA ?? 'direct').split(',').map((e) => e.trim());
const PG_ADMIN_URL = env.BENCH_PG_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
if (!/^postgres(ql)?:\/\/[^/]*@?(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//.test(PG_ADMIN_URL)) throw new Error('BENCH_PG_URL must point at 127.0.0.1');
const EXTRA_ENV = extraThreadlineEnv(env.BENCH_THREADLINE_ENV);
const REPO = path.resolve(import.meta.dirname, '..');
/** before the latency runs: the customers' first messages and a cold process (see `runEngine`) */
const WARMUP_SECONDS = 3;
const IG_ACCOUNT = '17841400000000777';
const ADMIN = { username: 'bench', password: `bench-${randomBytes(12).toString('hex')}` };

const receiver = await startCrmReceiver();

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

/** What the measuring runs of one engine share: Meta's side, and what to read CPU and the legs from. */
type RunContext = { meta: MetaSender; pgUrl: string | null; pids: { server: number | undefined; worker: number | undefined } };

async function latencyRun(ctx: RunContext, rate: number, seconds: number, label = ''): Promise<{ p99: number; lost: number }> {
  const count = Math.max(1, Math.round(rate * seconds * SCALE));
  const startedAt = performance.now();
  const before = { server: cpuSnapshot(ctx.pids.server), worker: cpuSnapshot(ctx.pids.worker) };
  const { tag, acks } = await ctx.meta.drive(rate, count);
  const cpu = cpuShare(before.server, cpuSnapshot(ctx.pids.server));
  const workerCpu = ctx.pids.worker ? cpuShare(before.worker, cpuSnapshot(ctx.pids.worker)).server : null;
  await waitFor(() => [...acks.keys()].every((m) => receiver.arrivals.has(m)), 120_000);
  const elapsed = (performance.now() - startedAt) / 1000;
  const lat = [...acks].map(([m, at]) => (receiver.arrivals.get(m) ?? NaN) - at).filter(Number.isFinite).sort((a, b) => a - b);
  console.log(
    `- ${label}${rate} events/s × ${count}: acknowledged ${acks.size}, delivered ${lat.length}; ` +
      `end-to-end p50 ${pct(lat, 50).toFixed(0)} ms, p99 ${pct(lat, 99).toFixed(0)} ms; throughput ${(lat.length / elapsed).toFixed(0)} deliveries/s`,
  );
  const legs = await breakdown(ctx.pgUrl, tag);
  if (legs) console.log(legs);
  console.log(
    `  (CPU while sending, % of one core: Threadline ${cpu.server.toFixed(0)}${workerCpu === null ? '' : `, worker ${workerCpu.toFixed(0)}`}, ` +
      `PostgreSQL ${cpu.postgres.toFixed(0)}, this bench ${cpu.bench.toFixed(0)}, machine ${cpu.machine.toFixed(0)} of ${os.availableParallelism() * 100})`,
  );
  return { p99: pct(lat, 99), lost: acks.size - lat.length };
}

async function outageRun(ctx: RunContext): Promise<{ lost: number }> {
  const count = Math.round(20_000 * SCALE);
  const outageMs = 60_000 * SCALE;
  const { webhookIds } = receiver;
  webhookIds.clear();
  receiver.setMode('down');
  const back = setTimeout(() => receiver.setMode('ok'), outageMs);
  const { acks } = await ctx.meta.drive(count / (outageMs / 1000), count);
  const sentAt = performance.now();
  const drained = await waitFor(() => webhookIds.size >= acks.size && receiver.isUp(), 10 * 60_000);
  clearTimeout(back);
  receiver.setMode('ok');
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
async function runEngine(engine: string, topology: string, via: string): Promise<boolean> {
  if (engine !== 'pglite' && engine !== 'postgres') throw new Error(`BENCH_ENGINES: unknown engine ${engine}`);
  if (topology !== 'one' && topology !== 'split') throw new Error(`BENCH_TOPOLOGIES: unknown topology ${topology}`);
  if (via !== 'direct' && via !== 'nginx') throw new Error(`BENCH_VIA: unknown way in ${via}`);
  const split = topology === 'split';
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-bench-crm-'));
  let pgDb: Awaited<ReturnType<typeof benchDatabaseOrSkip>> = null;
  let header = 'PGlite (embedded, one process)';
  if (engine === 'postgres') {
    pgDb = await benchDatabaseOrSkip(PG_ADMIN_URL);
    if (!pgDb) {
      fs.rmSync(dataDir, { recursive: true, force: true });
      return false;
    }
    const sql = await openPg(pgDb.url);
    header = `PostgreSQL (${await postgresSettings(sql).finally(() => sql.close())})`;
  }
  header += split ? ', `serve --no-workers` + one `worker` process' : ', one `serve` process';
  header += via === 'nginx' ? ', Meta through nginx (TLS)' : ', Meta straight to Threadline';
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
  let meta: MetaSender | null = null;
  let nginx: Nginx | null = null;
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
      body: JSON.stringify({ crm_webhook_url: `http://127.0.0.1:${receiver.port}/crm` }),
    });
    if (!patched.ok) throw new Error(`setting the CRM URL answered ${patched.status}: ${await patched.text()}`);
    if (via === 'nginx') {
      const cert = selfSignedCertificate(dataDir);
      nginx = await startNginx(path.join(dataDir, 'nginx'), await nginxPorts(), [port], cert);
      meta = createMetaSender({ origin: nginx.baseUrl, appSecret: secret, igAccount: IG_ACCOUNT, ca: cert.pem });
    } else meta = createMetaSender({ origin: server.origin, appSecret: secret, igAccount: IG_ACCOUNT });
    const ctx: RunContext = { meta, pgUrl: pgDb?.url ?? null, pids: { server: server.pid, worker: worker?.pid } };
    console.log(`\n## ${header}`);
    // A fresh process on a fresh database: its first seconds compile code and meet every customer for the first time
    // (contacts, conversations and their CRM events created, profile fetches queued). Measured, printed, not counted.
    if (RUNS.has('500') || RUNS.has('2000')) await latencyRun(ctx, 500, WARMUP_SECONDS, 'warm-up, not counted: ');
    const at500 = RUNS.has('500') ? await latencyRun(ctx, 500, 10) : null;
    if (RUNS.has('2000')) await latencyRun(ctx, 2000, 5);
    const outage = RUNS.has('outage') ? await outageRun(ctx) : null;
    const metrics = await fetch(`${server.origin}/metrics`).then((r) => r.text());
    for (const line of metrics.split('\n').filter((l) => /^threadline_crm_(deliveries|attempts)_total/.test(l))) console.log(`  ${line}`);
    const p99Ok = at500 !== null && at500.p99 < 500 && at500.lost === 0;
    const lossOk = outage !== null && outage.lost === 0;
    console.log(
      `Targets: p99 at 500 events/s ${at500 ? `${at500.p99.toFixed(0)} ms (< 500 ms: ${p99Ok ? 'PASS' : 'MISS'})` : 'not run'}; ` +
        `loss in the outage run ${outage ? `${outage.lost} (${lossOk ? 'PASS' : 'MISS'})` : 'not run'}`,
    );
    return p99Ok && lossOk;
  } finally {
    await meta?.close();
    await nginx?.stop();
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
      for (const via of VIAS) if (!(await runEngine(engine, topology, via))) failed += 1;
    }
  }
} finally {
  receiver.close();
}
if (failed > 0) process.exitCode = 1;
