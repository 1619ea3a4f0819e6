/**
 * The CRM retry schedule as configured (CRM_RETRY_SCHEDULE) and its default, which follows Svix: at once, then
 * after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (about 28 hours in all). Parsed here because config.ts reads
 * it at boot and imports no module; delivery/dispatch/crm-schedule.ts applies it.
 */

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;

export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [0, 5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR];

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
