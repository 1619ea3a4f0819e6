import type { Queue as BossQueueOptions } from 'pg-boss';
import type { z } from 'zod';

/**
 * How a failed job is retried, in pg-boss's terms: `retries` attempts after the first, `delaySeconds` apart (doubling
 * each time with `backoff`); an attempt that runs longer than `expireInSeconds` is failed. A job whose retries are
 * spent goes to `deadLetter` when one is named.
 */
export type RetryPolicy = {
  retries: number;
  delaySeconds?: number;
  backoff?: boolean;
  expireInSeconds?: number;
  /** How long pg-boss keeps a finished job before deleting it (its default: a week). */
  deleteAfterSeconds?: number;
  deadLetter?: { readonly name: string };
};

/**
 * How the worker takes the job: handlers at once per process, jobs fetched per poll, and how often it polls.
 * A job sent wakes a worker at once (LISTEN/NOTIFY, see queue.ts), so polling only finds what became due without
 * being sent: a retry after its back-off, a job enqueued to start later. `backstopSeconds` is how often it polls
 * then (how late such a job may start); `pollingIntervalSeconds` when the wake-up is not available (the listening
 * connection lost, or refused by a pooler).
 */
export type WorkerSettings = {
  concurrency?: number;
  /** fetched together, handled one after another, each settled on its own */
  batchSize?: number;
  pollingIntervalSeconds?: number;
  /** with the wake-up: how often a worker still polls (default DEFAULT_BACKSTOP_SECONDS) */
  backstopSeconds?: number;
};

/** How often a woken worker still polls, unless its job says otherwise: its retries wait 30 s and more. */
export const DEFAULT_BACKSTOP_SECONDS = 10;

/**
 * A named background task: its payload schema (what may be enqueued, checked on both ends), its retry policy, how
 * workers take it, and a cron expression when it also runs on a schedule. Declared once, in jobs/registry.ts; its
 * handler is bound where the services it needs are built (`queue.handle`).
 */
export type JobType<T extends object> = {
  readonly name: string;
  readonly payload: z.ZodType<T>;
  readonly retry: RetryPolicy;
  readonly worker: WorkerSettings;
  readonly schedule?: string;
};

export type JobPayload<J> = J extends JobType<infer T> ? T : never;

export type JobHandler<T extends object> = (data: T) => Promise<void>;

/** Settings that come from config rather than from the declaration (MESSAGE_LOOKUP_RETRIES, RECONCILE_INTERVAL_MINUTES). */
export type JobTuning = { retry?: Partial<RetryPolicy>; schedule?: string };

export function defineJob<T extends object>(spec: {
  name: string;
  payload: z.ZodType<T>;
  retry: RetryPolicy;
  worker?: WorkerSettings;
  schedule?: string;
}): JobType<T> {
  return { worker: {}, ...spec };
}

/**
 * The queue options pg-boss is given for a retry policy. Only the settings the policy names are passed: a queue
 * updated with an option it was not given would take pg-boss's default for it, not keep what it had.
 */
export function bossQueueOptions(retry: RetryPolicy): Omit<BossQueueOptions, 'name'> {
  const options: Omit<BossQueueOptions, 'name'> = { retryLimit: retry.retries };
  if (retry.delaySeconds !== undefined) options.retryDelay = retry.delaySeconds;
  if (retry.backoff !== undefined) options.retryBackoff = retry.backoff;
  if (retry.expireInSeconds !== undefined) options.expireInSeconds = retry.expireInSeconds;
  if (retry.deleteAfterSeconds !== undefined) options.deleteAfterSeconds = retry.deleteAfterSeconds;
  if (retry.deadLetter !== undefined) options.deadLetter = retry.deadLetter.name;
  return options;
}
