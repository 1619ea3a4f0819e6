// CRM delivery benchmark: Meta-shaped webhooks in, a local CRM receiver out, everything on 127.0.0.1.
// Threadline runs as its own process (`main.ts serve`), as in production; this process is Meta (signed POSTs at a
// fixed rate) and the CRM (a node:http receiver). Next to it runs the bare reference, a forwarder that stores nothing
// (bench/crm-forwarder.ts: node:http, the signature check, one `fetch` to the same receiver), what a team would wire in
// Node-RED instead: each rate is measured on the forwarder and then on Threadline, one after the other, in the same
// run, and Threadline's p99 is given as a ratio to the forwarder's.
// Latency is Meta's POST sent → the CRM has the event. Runs (BENCH_CRM_RUNS, default 200,500,outage):
// - `200`, `500`, `2000`: that many events/s for 10 s (5 s at 2000), after a warm-up of 3 s at 500 events/s that is
//   printed but not counted (a fresh process meeting its customers for the first time). Each prints p50/p99 for the
//   forwarder and Threadline, the ratio, CPU per event (Threadline's processes, and PostgreSQL's backends: every
//   `postgres` process of the machine, so run it on a quiet one), and Threadline's rounds from its /metrics (how long
//   a POST waited for its round, how long a round took, POSTs per round).
// - `outage`: 200 events/s; the CRM answers 503 for 30 s, then takes events again while 200/s go on for 15 s. Prints
//   when the backlog was delivered after the CRM's return, the p99 of the events sent after the return (new events
//   during the drain) next to the 200/s run's, and the p99 of a second account whose CRM stayed up throughout (one
//   failing endpoint must not delay another).
// Settings (environment): BENCH_ENGINES=pglite,postgres (PostgreSQL in a fresh database on BENCH_PG_URL, default
// postgres://root@127.0.0.1:5432/postgres, dropped afterwards); BENCH_SCALE=0.1 shrinks every count and duration
// for a quick look; BENCH_THREADLINE_ENV=KEY=value,… passes settings to the Threadline process (experiments; e.g.
// CRM_RETRY_SCHEDULE: Threadline's default schedule is used unless given); BENCH_TOPOLOGIES=one,split: `one` is a
// single `threadline serve` (as `npm start`), `split` (PostgreSQL only) is `threadline serve --no-workers` answering
// Meta plus one `threadline worker` processing and delivering.
// BENCH_STORING_FORWARDER=1 (PostgreSQL) also measures each rate on the storing forwarder (crm-forwarder.ts with a
// database: one INSERT and its commit per POST, then the fetch), the floor of storing before answering Meta;
// `insert,sequenced` adds the sequencing forwarder (one statement: the raw body, the conversation's next sequence
// number, the message and a delivery row, then the fetch of the numbered event), the floor of a design that numbers
// each conversation's events for the CRM. Both are warmed up as the others are.
// BENCH_PG_WORK=0 leaves out the table of rows written per event and statements (PostgreSQL; on by default).
// BENCH_VIA=direct,nginx: `nginx` sends Meta's POSTs through Debian's nginx with deploy/nginx/threadline.conf and a
// self-signed certificate (TLS, as in production) instead of straight to Threadline; both print side by side.
// Every loop is bounded; it stops by itself.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cpuMsPerEvent, cpuShare, cpuSnapshot, type CpuSnapshot } from './lib/cpu.ts';
import { createMetaSender, startCrmReceiver, waitFor, type MetaSender } from './lib/crm-traffic.ts';
import { benchDatabaseOrSkip, openPg, openPgliteDir, postgresSettings } from './lib/ingest-db.ts';
import { freePort, startBackground, startServer, threadlineBaseEnv, type ServerProcess } from './lib/processes.ts';
import { pgWorkBefore, pgWorkReport } from './lib/pg-work.ts';
import { latencies, ms, p99ByPeriod, percentile } from './lib/stats.ts';
import type { StoreKind } from './lib/bare-store.ts';
import { breakdown, judgeTargets, readRounds, roundsReport, type Measured, type RateResult } from './lib/crm-report.ts';
import { IG_ACCOUNT, IG_ACCOUNT_OTHER, insertOwnedAccounts, setCrmUrls } from './lib/crm-accounts.ts';
import { readCrmBenchConfig } from './lib/crm-config.ts';
import { outageRun } from './lib/crm-outage.ts';
import { createFirstAdmin, login } from './lib/threadline-admin.ts';
import { nginxPorts, selfSignedCertificate, startNginx, type Nginx } from '../deploy/test/nginx-proxy.ts';

const config = readCrmBenchConfig();
const SCALE = config.scale;
const ENGINES = config.engines;
const TOPOLOGIES = config.topologies;
const RUNS = config.runs;
const VIAS = config.vias;
const PG_ADMIN_URL = config.pgAdminUrl;
const PG_WORK = config.pgWork;
const STORING_FORWARDERS = config.storingForwarders;
const REPO = path.resolve(import.meta.dirname, '..');
/** Before the latency runs: the customers' first messages and a cold process (see `runEngine`). */
const WARMUP_SECONDS = 3;
const ADMIN = { username: 'bench', password: `bench-${randomBytes(12).toString('hex')}` };

const receiver = await startCrmReceiver();
const otherReceiver = await startCrmReceiver();

const indent = (text: string, by: string) => text.split('\n').map((l) => by + l).join('\n');

/** Who is measured: the forwarder or Threadline, and the processes whose CPU counts as theirs. */
type Target = {
  label: string;
  meta: MetaSender;
  pids: (number | undefined)[];
  pgUrl: string | null;
  usesDatabase: boolean;
  /** Threadline's origin, to read its round histograms from /metrics (intake/intake-metrics.ts) */
  metricsOrigin: string | null;
};

function snapshots(pids: (number | undefined)[]): CpuSnapshot[] {
  return pids.filter((p) => p !== undefined).map((p) => cpuSnapshot(p));
}

/** `rate` events/s for `seconds` to one target; waits until the CRM has every acknowledged event. */
async function measure(target: Target, rate: number, seconds: number): Promise<Measured> {
  const count = Math.max(1, Math.round(rate * seconds * SCALE));
  const pgWork = target.pgUrl !== null && PG_WORK ? await pgWorkBefore(target.pgUrl) : null;
  const roundsBefore = target.metricsOrigin ? await readRounds(target.metricsOrigin) : null;
  const before = snapshots(target.pids);
  const { tag, sent, acks } = await target.meta.drive(rate, count);
  await waitFor(() => [...acks.keys()].every((m) => receiver.arrivals.has(m)), 120_000);
  // CPU until the last event reached the CRM: the whole cost of the run, not only while sending.
  const shares = snapshots(target.pids).map((after, i) => cpuShare(before[i] as CpuSnapshot, after));
  const lat = latencies(sent, acks.keys(), receiver.arrivals);
  const own = shares.reduce((sum, s) => sum + cpuMsPerEvent(s.server, s.seconds, lat.length), 0);
  const first = shares[0];
  // PGlite runs inside Threadline's process: PostgreSQL's backends are then someone else's.
  const pgMs = first && target.pgUrl !== null ? cpuMsPerEvent(first.postgres, first.seconds, lat.length) : 0;
  const result = { p50: percentile(lat, 50), p99: percentile(lat, 99), lost: acks.size - lat.length, msPerEvent: own, pgMsPerEvent: pgMs };
  console.log(
    `  - ${target.label}: ${rate} events/s × ${count}: acknowledged ${acks.size}, delivered ${lat.length}; ` +
      `Meta's POST → CRM p50 ${ms(result.p50)} ms, p99 ${ms(result.p99)} ms; ` +
      `CPU per event ${result.msPerEvent.toFixed(2)} ms` +
      (target.pgUrl !== null ? ` + PostgreSQL ${pgMs.toFixed(2)} ms = ${(own + pgMs).toFixed(2)} ms` : '') +
      (first ? ` (machine ${first.machine.toFixed(0)} % of ${os.availableParallelism() * 100})` : ''),
  );
  // The statements' table first: the breakdown's own query must not count in it.
  const work = pgWork && target.pgUrl !== null ? await pgWorkReport(target.pgUrl, pgWork, lat.length) : null;
  // Where the tail comes from: a steady spread, or a few stalls (a second whose p99 stands out).
  const start = Math.min(...sent.values());
  console.log(`    (p99 by second: ${p99ByPeriod(sent, acks.keys(), receiver.arrivals, start, 1000)} ms)`);
  if (target.usesDatabase) {
    const legs = await breakdown(target.pgUrl, tag);
    if (legs) console.log(`  ${legs}`);
  }
  if (target.metricsOrigin && roundsBefore) console.log(`    (${roundsReport(roundsBefore, await readRounds(target.metricsOrigin))})`);
  if (work) console.log(indent(work, '    '));
  return result;
}

/** One rate: the forwarder (and the storing ones), then Threadline, at the same moment of the same run. */
async function compareAt(forwarder: Target, storing: readonly Target[], threadline: Target, rate: number, seconds: number): Promise<RateResult> {
  console.log(`- ${rate} events/s:`);
  const f = await measure(forwarder, rate, seconds);
  const floors: RateResult['floors'] = [];
  for (const target of storing) {
    const s = await measure(target, rate, seconds);
    console.log(`  = the ${target.label}'s p99 ${ms(s.p99)} ms is ${(s.p99 / f.p99).toFixed(1)}× the forwarder's`);
    floors.push({ label: target.label, measured: s });
  }
  const t = await measure(threadline, rate, seconds);
  console.log(
    `  = Threadline p99 ${ms(t.p99)} ms is ${(t.p99 / f.p99).toFixed(1)}× the forwarder's ${ms(f.p99)} ms` +
      floors.map((s) => `, ${(t.p99 / s.measured.p99).toFixed(1)}× the ${s.label}'s`).join('') +
      '; ' +
      `CPU per event ${(t.msPerEvent + t.pgMsPerEvent).toFixed(2)} ms (Threadline ${t.msPerEvent.toFixed(2)}, PostgreSQL ${t.pgMsPerEvent.toFixed(2)}) ` +
      `against the forwarder's ${f.msPerEvent.toFixed(2)} ms`,
  );
  return { rate, forwarder: f, floors, threadline: t };
}

/** The bare forwarder (bench/crm-forwarder.ts), to the same receiver; with `store`, a storing one. */
async function startForwarder(secret: string, store?: { url: string; kind: StoreKind }): Promise<ServerProcess> {
  const port = await freePort();
  return startServer({
    label: store ? (store.kind === 'sequenced' ? 'sequencing forwarder' : 'storing forwarder') : 'forwarder',
    script: path.join(REPO, 'bench/crm-forwarder.ts'),
    env: { FWD_PORT: String(port), FWD_SECRET: secret, FWD_CRM_URL: `http://127.0.0.1:${receiver.port}/crm`, ...(store ? { FWD_DATABASE_URL: store.url, FWD_STORE: store.kind } : {}) },
    port,
    readyPath: '/ready',
  });
}

/** One engine's whole run: its own Threadline process and database, the forwarder beside it; the same receiver. */
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
    ...config.threadlineEnv,
  };
  const main = path.join(REPO, 'packages/server/src/main.ts');
  const start = () => startServer({ label: 'threadline', script: main, args: split ? ['serve', '--no-workers'] : ['serve'], env: serverEnv, port, readyPath: '/readyz' });
  let server: ServerProcess | null = null;
  let worker: Awaited<ReturnType<typeof startBackground>> | null = null;
  let forwarder: ServerProcess | null = null;
  const storingForwarders: ServerProcess[] = [];
  const senders: MetaSender[] = [];
  let nginx: Nginx | null = null;
  try {
    server = await start();
    if (split) worker = await startBackground({ label: 'threadline worker', script: main, args: ['worker'], env: { ...serverEnv, PORT: String(await freePort()) } });
    await createFirstAdmin(server.origin, ADMIN.username, ADMIN.password);
    if (pgDb) {
      const sql = await openPg(pgDb.url);
      await insertOwnedAccounts(sql, ADMIN.username).finally(() => sql.close());
    } else {
      // PGlite belongs to one process: stop Threadline, add the accounts to its directory, start it again.
      await server.stop();
      const sql = await openPgliteDir(path.join(dataDir, 'pglite'));
      await insertOwnedAccounts(sql, ADMIN.username).finally(() => sql.close());
      server = await start();
    }
    await setCrmUrls(server.origin, await login(server.origin, ADMIN.username, ADMIN.password), { port: receiver.port, otherPort: otherReceiver.port });
    let origin = server.origin;
    let ca: string | undefined;
    if (via === 'nginx') {
      const cert = selfSignedCertificate(dataDir);
      nginx = await startNginx(path.join(dataDir, 'nginx'), await nginxPorts(), [port], cert);
      origin = nginx.baseUrl;
      ca = cert.pem;
    }
    const sender = (o: string, ig: string, withCa: boolean) => {
      const s = createMetaSender({ origin: o, appSecret: secret, igAccount: ig, ...(withCa && ca ? { ca } : {}) });
      senders.push(s);
      return s;
    };
    const meta = sender(origin, IG_ACCOUNT, true);
    forwarder = await startForwarder(secret);
    const threadline: Target = { label: 'Threadline', meta, pids: [server.pid, worker?.pid], pgUrl: pgDb?.url ?? null, usesDatabase: true, metricsOrigin: server.origin };
    const reference: Target = { label: 'forwarder', meta: sender(forwarder.origin, IG_ACCOUNT, false), pids: [forwarder.pid], pgUrl: null, usesDatabase: false, metricsOrigin: null };
    const storing: Target[] = [];
    for (const kind of pgDb ? STORING_FORWARDERS : []) {
      const s = await startForwarder(secret, { url: pgDb?.url ?? '', kind });
      storingForwarders.push(s);
      storing.push({ label: s.label, meta: sender(s.origin, IG_ACCOUNT, false), pids: [s.pid], pgUrl: pgDb?.url ?? null, usesDatabase: false, metricsOrigin: null });
    }
    console.log(`\n## ${header}`);
    const rates = [200, 500, 2000].filter((r) => RUNS.has(String(r)));
    // A fresh process on a fresh database: its first seconds compile code and meet every customer for the first time
    // (contacts, conversations and their CRM events created, profile fetches queued). Measured, printed, not counted.
    if (rates.length > 0) {
      console.log('- warm-up, not counted:');
      await measure(reference, 500, WARMUP_SECONDS);
      for (const target of storing) await measure(target, 500, WARMUP_SECONDS);
      await measure(threadline, 500, WARMUP_SECONDS);
    }
    const results: RateResult[] = [];
    for (const rate of rates) results.push(await compareAt(reference, storing, threadline, rate, rate >= 2000 ? 5 : 10));
    const outage = RUNS.has('outage') ? await outageRun(meta, sender(origin, IG_ACCOUNT_OTHER, true), { receiver, otherReceiver, scale: SCALE }) : null;
    const metrics = await fetch(`${server.origin}/metrics`).then((r) => r.text());
    for (const line of metrics.split('\n').filter((l) => /^threadline_crm_(deliveries|attempts)_total/.test(l))) console.log(`  ${line}`);
    const { ok, verdicts } = judgeTargets(results, outage);
    console.log(`Targets: ${verdicts.join('; ') || 'none run'}`);
    return ok;
  } finally {
    for (const s of senders) await s.close();
    await nginx?.stop();
    await forwarder?.stop();
    for (const s of storingForwarders) await s.stop();
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
  otherReceiver.close();
}
if (failed > 0) process.exitCode = 1;
