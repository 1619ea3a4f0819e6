// Ingestion benchmark (`npm run bench:ingest`): Meta-shaped, signed Instagram webhooks offered open-loop at
// increasing rates to Threadline (`main.ts serve`, a separate process) on PGlite and on PostgreSQL, and the same
// load to a bare node:http + INSERT reference server on the same engine. Prints acknowledgement throughput and
// latency, the processing lag (POST stored → message row), whether processing keeps up, and the targets of
// issue 4 with PASS/MISS. Everything runs on 127.0.0.1; every loop is bounded; it stops by itself.
//
// Settings (environment): BENCH_ENGINES=pglite,postgres  BENCH_RATES=250,500,1000,2000,4000  BENCH_STEP_SECONDS=10
// BENCH_WARMUP_SECONDS=3  BENCH_ACCOUNTS=10  BENCH_CUSTOMERS=200 (per account)  BENCH_DRAIN_MAX_SECONDS=45
// BENCH_CONNECTIONS=64  BENCH_MAX_IN_FLIGHT=256  BENCH_PG_URL=postgres://root@127.0.0.1:5432/postgres
// BENCH_THREADLINE_ENV="WEBHOOK_PROCESS_CONCURRENCY=4,DATABASE_POOL_MAX=20" (extra settings for experiments)
// BENCH_PG_DATABASE_SETTINGS="synchronous_commit=off" (ALTER DATABASE … SET for the bench database, experiments).
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuShare, cpuSnapshot } from './lib/cpu.ts';
import { readIngestBenchConfig } from './lib/ingest-config.ts';
import { benchDatabaseOrSkip, openPg, postgresSettings } from './lib/ingest-db.ts';
import { BATCH_SIZES, MEAN_BATCH } from './lib/ingest-payloads.ts';
import { referenceTable, threadlineTable, verdictLines, verdicts } from './ingest-report.ts';
import { runReference, runThreadline, type BenchSettings, type Engine } from './ingest-run.ts';

const config = readIngestBenchConfig();
const { engines, pgAdminUrl, pgDatabaseSettings } = config;
const { threadlineEnv } = config.settings;
const settings: BenchSettings = { ...config.settings, log: (line) => console.error(line) };

const began = performance.now();
const idleBefore = cpuSnapshot(undefined);
await sleep(1000);
const otherLoad = cpuShare(idleBefore, cpuSnapshot(undefined)).machine;
console.log(`# Threadline ingestion benchmark — ${new Date().toISOString()}`);
console.log(
  `machine: ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? '?'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}; ` +
    `CPU already busy before the run (other processes): ${Math.round(otherLoad)} % of one core\n` +
    `load: open loop, ${settings.stepSeconds} s per step after a ${settings.warmupSeconds} s warm-up, ${settings.connections} keep-alive connections, ` +
    `at most ${settings.maxInFlight} POSTs in flight (a POST due beyond that is shed)\n` +
    `payloads: ${settings.accounts} accounts × ${settings.customersPerAccount} customers, 1 entry per POST, messaging items per POST drawn from ` +
    `[${BATCH_SIZES.join(',')}] (mean ${MEAN_BATCH.toFixed(1)}), text messages, ~10 % echoes\n` +
    (Object.keys(threadlineEnv).length > 0 ? `Threadline extra settings: ${JSON.stringify(threadlineEnv)}\n` : '') +
    `columns: ack = POST → 200; backlog rows = received rows unprocessed when the step's last POST was due; drain = from then to the ` +
    `step's last raw event processed; lag = messages.created_at − webhook_events.received_at per event; msgs = message rows found / events sent; ` +
    `CPU% of one core: server / PostgreSQL processes / this load generator / whole machine`,
);

let failures = 0;
for (const name of engines) {
  if (name !== 'pglite' && name !== 'postgres') throw new Error(`BENCH_ENGINES: unknown engine ${name}`);
  let engine: Engine = { kind: 'pglite' };
  let drop: (() => Promise<void>) | null = null;
  let header = 'PGlite (embedded, one process)';
  try {
    if (name === 'postgres') {
      const db = await benchDatabaseOrSkip(pgAdminUrl);
      if (!db) {
        failures += 1;
        continue;
      }
      drop = db.drop;
      engine = { kind: 'postgres', url: db.url };
      const admin = await openPg(db.url);
      for (const [key, value] of pgDatabaseSettings) await admin.query(`alter database ${db.name} set ${key} = '${value}'`);
      await admin.close();
      const sql = await openPg(db.url);
      header = `PostgreSQL (${await postgresSettings(sql).finally(() => sql.close())}; bench database ${db.name})`;
    }
    console.error(`${name}: Threadline…`);
    const threadline = await runThreadline(engine, settings);
    console.error(`${name}: reference…`);
    const reference = await runReference(engine, settings);
    console.log(`\n## ${header}\n\nThreadline (serve, WEBHOOK_PROCESS_CONCURRENCY=${threadlineEnv.WEBHOOK_PROCESS_CONCURRENCY ?? `${name === 'postgres' ? 4 : 1} (default)`})\n`);
    console.log(threadlineTable(threadline));
    for (const note of threadline.notes) console.log(`note: ${note}`);
    console.log(`\nBare reference (node:http, signature check, one INSERT per POST)\n`);
    console.log(referenceTable(reference, threadline));
    console.log(`\n${name === 'postgres' ? 'Targets (PostgreSQL, this machine)' : 'Figures against the PostgreSQL targets (no target for PGlite)'}:`);
    for (const line of verdictLines(verdicts(threadline, reference), name === 'postgres')) console.log(`- ${line}`);
  } finally {
    if (drop) await drop();
  }
}
console.log(`\nrun time ${Math.round((performance.now() - began) / 1000)} s`);
if (failures > 0) process.exitCode = 1;
