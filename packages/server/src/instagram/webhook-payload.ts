import { z } from 'zod';
import { normalizeMessagingItem } from './webhook-payload-events.ts';
import { describeIssue, entrySchema } from './webhook-payload-schemas.ts';
import type {
  EventSource,
  NormalizedEvent,
  ParsedEntry,
  ParsedWebhook,
  RejectedEntry,
  UnhandledChange,
} from './webhook-payload-types.ts';

export type * from './webhook-payload-types.ts';
export { parseJsonPreservingBigInts } from './webhook-payload-json.ts';
export { resolveDirection } from './webhook-payload-events.ts';

const envelopeSchema = z.looseObject({ object: z.unknown(), entry: z.unknown() });
const objectSchema = z.looseObject({});
const changeSchema = z.looseObject({ field: z.string(), value: z.unknown() });

const EVENT_LISTS: readonly EventSource[] = ['messaging', 'standby'];

/**
 * Parses the body of a webhook POST (`object: "instagram"`). Pure and total: it never throws, and one malformed
 * entry or item never loses the rest of the batch. Parse the raw body with `parseJsonPreservingBigInts` first so
 * numeric ids above 2^53 survive.
 */
export function parseMetaWebhook(body: unknown): ParsedWebhook {
  const envelope = envelopeSchema.safeParse(body);
  if (!envelope.success || Array.isArray(body)) return { kind: 'invalid', reason: 'not_an_object' };
  if (envelope.data.object !== 'instagram') return { kind: 'invalid', reason: 'not_instagram' };
  const entries = envelope.data.entry;
  if (!Array.isArray(entries)) return { kind: 'invalid', reason: 'entry_not_array' };

  const parsed: ParsedEntry[] = [];
  const rejectedEntries: RejectedEntry[] = [];
  entries.forEach((entry: unknown, index) => {
    const result = parseEntry(entry, index);
    if (result.ok) parsed.push(result.entry);
    else rejectedEntries.push({ index, ...result.rejection, raw: entry });
  });
  return { kind: 'instagram', entries: parsed, rejectedEntries };
}

type EntryResult =
  | { ok: true; entry: ParsedEntry }
  | { ok: false; rejection: Pick<RejectedEntry, 'reason' | 'detail'> };

function parseEntry(entry: unknown, index: number): EntryResult {
  const object = objectSchema.safeParse(entry);
  if (!object.success || Array.isArray(entry)) return { ok: false, rejection: { reason: 'entry_not_object' } };
  const head = entrySchema.safeParse(entry);
  if (!head.success) {
    return { ok: false, rejection: { reason: 'invalid_entry_id', detail: describeIssue(head.error) } };
  }

  const accountIgId = head.data.id;
  const events: NormalizedEvent[] = [];
  const unhandled: UnhandledChange[] = [];
  for (const source of EVENT_LISTS) {
    const items = object.data[source];
    if (items === undefined) continue;
    if (Array.isArray(items)) {
      items.forEach((item: unknown, i) => events.push(normalizeMessagingItem(item, accountIgId, source, `entry[${index}].${source}[${i}]`)));
    } else {
      unhandled.push({ field: source, value: items, raw: items, path: `entry[${index}].${source}` });
    }
  }
  unhandled.push(...collectChanges(object.data, index));
  return { ok: true, entry: { index, id: accountIgId, time: head.data.time ?? null, events, unhandled } };
}

/**
 * `entry.changes[]` (comments, live_comments, mentions, the dashboard "Test" sample), and the Postman sample's
 * variant with `field`/`value` directly on the entry. Kept verbatim: this parser only normalises direct messages.
 */
function collectChanges(entry: Record<string, unknown>, index: number): UnhandledChange[] {
  const found: UnhandledChange[] = [];
  const changes = entry['changes'];
  if (Array.isArray(changes)) {
    changes.forEach((change: unknown, i) => found.push(toUnhandled(change, `entry[${index}].changes[${i}]`)));
  } else if (changes !== undefined) {
    found.push({ field: 'changes', value: changes, raw: changes, path: `entry[${index}].changes` });
  }
  if (entry['field'] !== undefined || entry['value'] !== undefined) {
    const field = entry['field'];
    found.push({ field: typeof field === 'string' ? field : null, value: entry['value'] ?? null, raw: entry, path: `entry[${index}]` });
  }
  return found;
}

function toUnhandled(change: unknown, path: string): UnhandledChange {
  const parsed = changeSchema.safeParse(change);
  if (parsed.success) return { field: parsed.data.field, value: parsed.data.value, raw: change, path };
  const value = objectSchema.safeParse(change).data?.['value'];
  return { field: null, value: value ?? null, raw: change, path };
}
