import type { SimHeldEvent } from '../state/schema.ts';
import type { Variants } from '../variants.ts';

export interface WebhookEntry {
  id: string;
  time: number | string;
  messaging?: Record<string, unknown>[];
  standby?: Record<string, unknown>[];
  changes?: Record<string, unknown>[];
}
export interface WebhookEnvelope {
  object: 'instagram';
  entry: WebhookEntry[];
}

type Format = { timestampUnit: 'ms' | 'seconds'; timestampFormat: 'number' | 'string'; idFormat: 'string' | 'number' };

const formatOf = (held: SimHeldEvent, variants: Variants): Format => ({
  timestampUnit: held.format?.timestampUnit ?? variants.timestampUnit,
  timestampFormat: held.format?.timestampFormat ?? variants.timestampFormat,
  idFormat: held.format?.idFormat ?? variants.idFormat,
});

function asTime(value: number, format: Format): number | string {
  const scaled = format.timestampUnit === 'seconds' ? Math.floor(value / 1000) : value;
  return format.timestampFormat === 'string' ? String(scaled) : scaled;
}

/**
 * Meta's envelope (§3.5): `{object:"instagram", entry:[{id:<IG_ID>, time, messaging:[…]}]}`. Consecutive events of
 * one account share an entry, so a batch holds several entries with several events each. Times follow the variants
 * (ms or seconds, numbers or strings) or the event's own format.
 */
export function buildEnvelope(events: SimHeldEvent[], now: number, variants: Variants): WebhookEnvelope {
  const entries: WebhookEntry[] = [];
  for (const held of events) {
    const format = formatOf(held, variants);
    let entry = entries.at(-1);
    if (!entry || entry.id !== held.accountId) {
      entry = { id: held.accountId, time: asTime(now, format) };
      entries.push(entry);
    }
    const event = { ...held.event };
    if (typeof event['timestamp'] === 'number') event['timestamp'] = asTime(event['timestamp'], format);
    if (held.kind === 'changes') (entry.changes ??= []).push(event);
    else (entry[held.list ?? variants.eventList] ??= []).push(event);
  }
  return { object: 'instagram', entry: entries };
}

/**
 * The body as sent. With numeric ids (§3.7), every `"id":"<digits>"` becomes a bare JSON number, written as text
 * so that ids above 2^53 keep every digit (JSON.stringify of a JS number could not).
 */
export function serializeEnvelope(events: SimHeldEvent[], now: number, variants: Variants): string {
  const body = JSON.stringify(buildEnvelope(events, now, variants));
  const numeric = events.some((held) => formatOf(held, variants).idFormat === 'number');
  return numeric ? body.replace(/"id":"(\d+)"/g, '"id":$1') : body;
}
