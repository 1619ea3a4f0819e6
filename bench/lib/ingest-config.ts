// bench:ingest's settings, read from the environment once, here. What each means: the header of bench/ingest.ts.
import type { BenchSettings } from '../ingest-run.ts';
import { localPgAdminUrl } from './ingest-db.ts';
import { extraThreadlineEnv } from './processes.ts';
import { intSetting, listSetting } from './settings.ts';

export function readIngestBenchConfig(env: NodeJS.ProcessEnv = process.env) {
  const int = (name: string, fallback: number, min: number, max: number) => intSetting(env, name, fallback, min, max);
  const rates = listSetting(env.BENCH_RATES, '250,500,1000,2000,4000').map(Number);
  if (rates.some((r) => !Number.isInteger(r) || r < 1 || r > 50_000)) throw new Error('BENCH_RATES: integers in 1..50000');
  const settings: Omit<BenchSettings, 'log'> = {
    rates,
    stepSeconds: int('BENCH_STEP_SECONDS', 10, 1, 120),
    warmupSeconds: int('BENCH_WARMUP_SECONDS', 3, 0, 60),
    accounts: int('BENCH_ACCOUNTS', 10, 1, 1000),
    customersPerAccount: int('BENCH_CUSTOMERS', 200, 1, 1_000_000),
    drainMaxSeconds: int('BENCH_DRAIN_MAX_SECONDS', 45, 1, 600),
    connections: int('BENCH_CONNECTIONS', 64, 1, 1024),
    maxInFlight: int('BENCH_MAX_IN_FLIGHT', 256, 1, 10_000),
    threadlineEnv: extraThreadlineEnv(env.BENCH_THREADLINE_ENV),
  };
  return {
    engines: listSetting(env.BENCH_ENGINES, 'pglite,postgres'),
    pgAdminUrl: localPgAdminUrl(env.BENCH_PG_URL),
    /** ALTER DATABASE … SET for the bench database (experiments): the well-formed `key=value` pairs */
    pgDatabaseSettings: (env.BENCH_PG_DATABASE_SETTINGS ?? '')
      .split(',')
      .filter((kv) => /^\s*[a-z_]+\s*=\s*[A-Za-z0-9_.]+\s*$/.test(kv))
      .map((kv) => kv.split('=').map((x) => x.trim())),
    settings,
  };
}
