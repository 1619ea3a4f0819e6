import { HOUR, SECOND } from '../../../config/retry-schedule.ts';

/**
 * When a failed CRM delivery is tried again. The schedule is configured (config/retry-schedule.ts, whose
 * default follows Svix); each wait gets ±20 % jitter so that an endpoint
 * coming back is not hit by every retry in the same second. `Retry-After` can only lengthen a wait.
 */

/** A receiver's `Retry-After` is honoured up to this long. */
export const MAX_RETRY_AFTER_MS = 24 * HOUR;
const JITTER = 0.2;

/**
 * The wait before the next attempt after `attemptsMade` attempts, or null when the schedule is spent.
 * `random` is in [0, 1) (Math.random).
 */
export function nextRetryDelayMs(
  schedule: readonly number[],
  attemptsMade: number,
  opts: { retryAfterMs?: number | null; random?: () => number } = {},
): number | null {
  const base = schedule[attemptsMade];
  if (base === undefined) return null;
  const random = opts.random ?? Math.random;
  const jittered = Math.round(base * (1 - JITTER + 2 * JITTER * random()));
  const retryAfter = Math.min(opts.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS);
  return Math.max(jittered, retryAfter);
}

/** The shortest and the longest wait between attempts to a failing endpoint (`probeDelayMs`). */
export const MIN_PROBE_DELAY_MS = 20;
export const MAX_PROBE_DELAY_MS = 10 * SECOND;

/**
 * While an endpoint is failing it gets one attempt at a time (a probe), this long after the last one failed, given
 * how long it has been failing: every 20 ms for the first 20 s, then a thousandth of the outage (30 ms after half a
 * minute, 0.3 s after 5 minutes), at most 10 s. Events written between the endpoint's return and the probe that
 * finds it answering wait behind the backlog, so a short outage is probed often; a long one costs a few attempts a
 * minute. Each delivery keeps its own schedule; deliveries written meanwhile are not attempted one by one but wait
 * for a probe to succeed, which releases them in order (crm-delivery.ts). bench:crm's 30 s outage at 200 events/s:
 * about 1,300 failed attempts instead of 11,400.
 */
export function probeDelayMs(failingForMs: number): number {
  return Math.min(MAX_PROBE_DELAY_MS, Math.max(MIN_PROBE_DELAY_MS, Math.round(failingForMs / 1000)));
}

/** `Retry-After: 120` or an HTTP date → milliseconds from `now`; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: Date): number | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * SECOND;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now.getTime());
}
