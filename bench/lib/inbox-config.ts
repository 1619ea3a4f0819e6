// bench:inbox's settings, read from the environment once, here. What each means: the header of bench/inbox.ts.
import type { InboxSettings } from '../inbox-run.ts';
import type { SeedSizes } from './inbox-seed.ts';
import { localPgAdminUrl } from './ingest-db.ts';
import { extraThreadlineEnv } from './processes.ts';
import { intSetting, listSetting } from './settings.ts';

/** accounts,conversations,messages */
function sizes(env: NodeJS.ProcessEnv, name: string, fallback: string): SeedSizes {
  const [accounts, conversations, messages] = (env[name] ?? fallback).split(',').map((x) => Number(x.trim()));
  const ok = (n: number | undefined, max: number): n is number => n !== undefined && Number.isInteger(n) && n >= 1 && n <= max;
  if (!ok(accounts, 1000) || !ok(conversations, 1_000_000) || !ok(messages, 50_000_000) || messages < conversations) {
    throw new Error(`${name} must be accounts,conversations,messages (messages ≥ conversations)`);
  }
  return { accounts, conversations, messages };
}

export function readInboxBenchConfig(env: NodeJS.ProcessEnv = process.env) {
  const int = (name: string, fallback: number, min: number, max: number) => intSetting(env, name, fallback, min, max);
  const deepFraction = Number(env.BENCH_DEEP_FRACTION ?? '0.9');
  if (!(deepFraction > 0 && deepFraction < 1)) throw new Error('BENCH_DEEP_FRACTION must be between 0 and 1');
  const sendMessages = int('BENCH_SEND_MESSAGES', 1000, 0, 20_000);
  const liveClients = int('BENCH_LIVE_CLIENTS', 100, 0, 1000);
  const common: Omit<InboxSettings, 'sizes' | 'log'> = {
    warmup: int('BENCH_WARMUP', 20, 0, 10_000),
    samples: int('BENCH_SAMPLES', 200, 1, 100_000),
    deepFraction,
    send:
      sendMessages > 0
        ? {
            messages: sendMessages,
            customers: int('BENCH_SEND_CUSTOMERS', 250, 1, 5_000),
            concurrency: int('BENCH_SEND_CONCURRENCY', 8, 1, 256),
            maxSeconds: int('BENCH_SEND_MAX_SECONDS', 120, 5, 600),
          }
        : null,
    live:
      liveClients > 0
        ? {
            clients: liveClients,
            rate: int('BENCH_LIVE_RATE', 500, 1, 5_000),
            seconds: int('BENCH_LIVE_SECONDS', 10, 2, 120),
            drainSeconds: int('BENCH_LIVE_DRAIN_SECONDS', 30, 1, 300),
          }
        : null,
    threadlineEnv: extraThreadlineEnv(env.BENCH_THREADLINE_ENV),
  };
  return {
    engines: listSetting(env.BENCH_ENGINES, 'postgres,pglite'),
    pgAdminUrl: localPgAdminUrl(env.BENCH_PG_URL),
    common,
    sizes: { postgres: sizes(env, 'BENCH_PG_SIZES', '20,50000,2000000'), pglite: sizes(env, 'BENCH_PGLITE_SIZES', '20,5000,100000') },
  };
}
