// Inbox benchmark (`npm run bench:inbox`, issue 7 "Performance"): seeds PostgreSQL with 50,000 conversations and
// 2,000,000 messages across 20 accounts (and PGlite with a smaller set), runs Threadline (`main.ts serve`, a
// separate process) on it and measures over HTTP, one request after another: the first page of conversations, a
// deep keyset page, the unread and needs-reply filters, search by username, the "All accounts" first page (and its
// unread filter) over every account of the reader, the label filter (a common and a rare label), the unread counts
// per account, and the first page of a thread — p50,
// p95, p99, with each query's EXPLAIN (ANALYZE, BUFFERS) and the indexes it uses — then sends 1,000 messages
// through the Meta simulator (throughput, queued → sent latency), and live updates: Meta's POST acknowledged → each
// of 100 SSE clients has the message, at 500 events/s. Targets on PostgreSQL: p95 < 20 ms per read,
// < 10 ms for a thread's first page, p99 < 200 ms for live updates. Everything runs on 127.0.0.1; every loop is bounded; the bench database and
// data directories are removed at the end.
//
// Settings (environment): BENCH_ENGINES=postgres,pglite  BENCH_PG_URL=postgres://root@127.0.0.1:5432/postgres
// BENCH_PG_SIZES=20,50000,2000000 (accounts,conversations,messages)  BENCH_PGLITE_SIZES=20,5000,100000
// BENCH_SAMPLES=200  BENCH_WARMUP=20  BENCH_DEEP_FRACTION=0.9  BENCH_SEND_MESSAGES=1000 (0 = no send test)
// BENCH_SEND_CUSTOMERS=250  BENCH_SEND_CONCURRENCY=8  BENCH_SEND_MAX_SECONDS=120  BENCH_LIVE_CLIENTS=100 (0 = no
// live-update test)  BENCH_LIVE_RATE=500 (events/s)  BENCH_LIVE_SECONDS=10  BENCH_LIVE_DRAIN_SECONDS=30
// BENCH_THREADLINE_ENV=KEY=value,… (extra settings for the Threadline process: experiments, profiling)
import os from 'node:os';
import { engineReport } from './inbox-report.ts';
import { runEngine, type Engine, type InboxSettings } from './inbox-run.ts';
import { readInboxBenchConfig } from './lib/inbox-config.ts';
import { benchDatabaseOrSkip } from './lib/ingest-db.ts';
import { openInboxDbPg } from './lib/inbox-db.ts';

const config = readInboxBenchConfig();
const { engines, pgAdminUrl } = config;
const common: Omit<InboxSettings, 'sizes'> = { ...config.common, log: (line) => console.error(line) };

const began = performance.now();
console.log(`# Threadline inbox benchmark — ${new Date().toISOString()}`);
console.log(
  `machine: ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? '?'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ` +
    `load average before the run ${os.loadavg()[0]?.toFixed(2) ?? '?'}`,
);

const misses: string[] = [];
let failures = 0;
for (const name of engines) {
  if (name !== 'pglite' && name !== 'postgres') throw new Error(`BENCH_ENGINES: unknown engine ${name}`);
  let drop: (() => Promise<void>) | null = null;
  try {
    let engine: Engine = { kind: 'pglite' };
    let header = 'PGlite (embedded, one process)';
    const settings: InboxSettings = { ...common, sizes: name === 'postgres' ? config.sizes.postgres : config.sizes.pglite };
    if (name === 'postgres') {
      const db = await benchDatabaseOrSkip(pgAdminUrl);
      if (!db) {
        failures += 1;
        continue;
      }
      drop = db.drop;
      engine = { kind: 'postgres', url: db.url };
      const probe = await openInboxDbPg(db.url);
      const [v] = await probe.query(`select current_setting('server_version') as v, current_setting('shared_buffers') as sb`).finally(() => probe.close());
      header = `PostgreSQL ${String(v?.v)} (shared_buffers ${String(v?.sb)}; bench database ${db.name})`;
    }
    const result = await runEngine(engine, settings);
    const report = engineReport(name, result, header);
    console.log(report.text);
    misses.push(...report.misses);
  } finally {
    if (drop) await drop();
  }
}
console.log(`\n## Targets (PostgreSQL)\n${misses.length === 0 ? '- every read meets its p95 target and uses an index' : misses.map((m) => `- MISS ${m}`).join('\n')}`);
console.log(`\nrun time ${Math.round((performance.now() - began) / 1000)} s`);
if (failures > 0) process.exitCode = 1;
