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

/** `Retry-After: 120` or an HTTP date → milliseconds from `now`; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: Date): number | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * SECOND;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now.getTime());
}
