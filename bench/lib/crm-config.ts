// bench:crm's settings, read from the environment once, here and nowhere else (STYLE: config once). What each means:
// the header of bench/crm.ts and docs/benchmarks.md.
import type { StoreKind } from './bare-store.ts';
import { localPgAdminUrl } from './ingest-db.ts';
import { extraThreadlineEnv } from './processes.ts';
import { listSetting } from './settings.ts';

export function readCrmBenchConfig(env: NodeJS.ProcessEnv = process.env) {
  const pgAdminUrl = localPgAdminUrl(env.BENCH_PG_URL);
  return {
    scale: Number(env.BENCH_SCALE ?? '1'),
    engines: listSetting(env.BENCH_ENGINES, 'pglite,postgres'),
    topologies: listSetting(env.BENCH_TOPOLOGIES, 'one,split'),
    /** which runs to make: `200`, `500` and `2000` (latency at that rate, next to the forwarder), `outage` */
    runs: new Set(listSetting(env.BENCH_CRM_RUNS, '200,500,outage')),
    /** how Meta reaches Threadline: `direct`, or `nginx` (TLS through the shipped configuration) */
    vias: listSetting(env.BENCH_VIA, 'direct'),
    pgAdminUrl,
    /** settings passed to the Threadline process, with CRM_RETRY_SCHEDULE when given (Threadline's default otherwise) */
    threadlineEnv: { ...(env.CRM_RETRY_SCHEDULE ? { CRM_RETRY_SCHEDULE: env.CRM_RETRY_SCHEDULE } : {}), ...extraThreadlineEnv(env.BENCH_THREADLINE_ENV) },
    /** PostgreSQL: rows written per event by table, and statements by share of time (pg_stat_statements when loaded) */
    pgWork: env.BENCH_PG_WORK !== '0',
    /** storing forwarders to measure beside the bare one (PostgreSQL): `insert`, `sequenced` (`1` is `insert`) */
    storingForwarders: storingKinds(env.BENCH_STORING_FORWARDER),
  };
}

/** BENCH_STORING_FORWARDER: unset or `0` none; `1` the INSERT one; otherwise a list of `insert`, `sequenced`. */
function storingKinds(value: string | undefined): StoreKind[] {
  if (value === undefined || value === '0' || value === '') return [];
  if (value === '1') return ['insert'];
  const kinds = listSetting(value, '');
  for (const k of kinds) if (k !== 'insert' && k !== 'sequenced') throw new Error('BENCH_STORING_FORWARDER: 1, or a list of insert and sequenced');
  return kinds as StoreKind[];
}
