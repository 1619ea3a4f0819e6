import type { SimHeldEvent } from '../state/schema.ts';
import type { Variants } from '../variants.ts';

export interface WebhookEntry {
  id: string;
  time: number | string;
  messaging?: Record<string, unknown>[];
  changes?: Record<string, unknown>[];
}
export interface WebhookEnvelope {
  object: 'instagram';
  entry: WebhookEntry[];
}

/**
 * Meta's envelope (§3.5): `{object:"instagram", entry:[{id:<IG_ID>, time, messaging:[…]}]}`. Consecutive events of
 * one account share an entry, so a batch holds several entries with several events each.
 */
export function buildEnvelope(events: SimHeldEvent[], now: number, variants: Variants): WebhookEnvelope {
  const asTime = (value: number): number | string => (variants.timestampFormat === 'string' ? String(value) : value);
  const entries: WebhookEntry[] = [];
  for (const held of events) {
    let entry = entries.at(-1);
    if (!entry || entry.id !== held.accountId) {
      entry = { id: held.accountId, time: asTime(now) };
      entries.push(entry);
    }
    const event = { ...held.event };
    if (typeof event['timestamp'] === 'number') event['timestamp'] = asTime(event['timestamp']);
    if (held.kind === 'changes') (entry.changes ??= []).push(event);
    else (entry.messaging ??= []).push(event);
  }
  return { object: 'instagram', entry: entries };
}
