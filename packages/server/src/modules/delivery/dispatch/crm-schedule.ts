/**
 * When a failed CRM delivery is tried again. The default follows Svix: at once, then after 5 s, 5 min,
 * 30 min, 2 h, 5 h, 10 h and 10 h (about 28 hours in all); each wait gets ±20 % jitter so that an endpoint
 * coming back is not hit by every retry in the same second. `Retry-After` can only lengthen a wait.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [0, 5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR];
/** A receiver's `Retry-After` is honoured up to this long. */
export const MAX_RETRY_AFTER_MS = 24 * HOUR;
const JITTER = 0.2;

const UNITS: Record<string, number> = { ms: 1, s: SECOND, m: MINUTE, h: HOUR, d: 24 * HOUR };

/** `0`, `200ms`, `5s`, `30m`, `2h`, `1d` → milliseconds; null when it is none of these. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) return null;
  const value = Number(match[1]);
  const unit = match[2];
  if (unit === undefined) return value === 0 ? 0 : null;
  const factor = UNITS[unit];
  return factor === undefined ? null : Math.round(value * factor);
}

/** `0,200ms,1s,5s` → [0, 200, 1000, 5000]; throws with a sentence naming the bad item. */
export function parseRetrySchedule(text: string): number[] {
  const items = text.split(',').map((item) => item.trim());
  if (items.length === 0 || items.every((item) => item === '')) throw new Error('the schedule is empty');
  return items.map((item, index) => {
    const ms = parseDuration(item);
    if (ms === null) throw new Error(`item #${index + 1} "${item}" is not a duration such as 0, 200ms, 5s, 30m or 2h`);
    return ms;
  });
}

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
