// bench:round's settings (bench/round-shape.ts), read from the environment once, here. What each means: the header
// of bench/round-shape.ts.
import { localPgAdminUrl } from './ingest-db.ts';
import { intSetting } from './settings.ts';

export function readRoundBenchConfig(env: NodeJS.ProcessEnv = process.env) {
  return {
    pgAdminUrl: localPgAdminUrl(env.BENCH_PG_URL),
    rate: intSetting(env, 'BENCH_ROUND_RATE', 55, 1, 10_000),
    items: intSetting(env, 'BENCH_ROUND_ITEMS', 4, 1, 1_000),
    seconds: intSetting(env, 'BENCH_ROUND_SECONDS', 15, 1, 600),
    busy: intSetting(env, 'BENCH_ROUND_BUSY', 0, 0, 16),
  };
}
