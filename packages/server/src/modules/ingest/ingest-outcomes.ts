import type { WebhookItemOutcomes } from './ingest.repository.ts';
import type { ParsedEntry, RejectedEntry, UnhandledChange, UnknownEvent } from '../../instagram/webhook-payload.ts';

/**
 * Why the items of a raw event that change nothing were ignored, in words an administrator can act on: `not_supported`
 * (Meta sent something Threadline does not handle: comments, handover, the dashboard's test sample) or `malformed`
 * (the item is broken: a missing sender, a bad timestamp).
 */
export type IgnoredItem = WebhookItemOutcomes['ignored'][number];

const MALFORMED_REASONS: Record<Exclude<UnknownEvent['reason'], 'unrecognised_item'>, string> = {
  item_not_object: 'the item is not an object',
  invalid_sender: 'no valid sender id',
  invalid_recipient: 'no valid recipient id',
  invalid_timestamp: 'no valid timestamp',
  malformed_item: 'a field of the event is invalid',
};

const COMMENT_FIELDS = new Set(['comments', 'live_comments', 'mentions']);

export function ignoredUnknown(ev: UnknownEvent): IgnoredItem {
  if (ev.reason === 'unrecognised_item') {
    return { path: ev.path, type: 'unknown', code: 'not_supported', reason: `an event kind Threadline does not handle (${ev.detail ?? 'no keys'})` };
  }
  const detail = ev.detail ? ` (${ev.detail})` : '';
  return { path: ev.path, type: 'unknown', code: 'malformed', reason: `${MALFORMED_REASONS[ev.reason]}${detail}` };
}

export function ignoredChange(change: UnhandledChange, entryId: string): IgnoredItem {
  const type = change.field ?? 'change';
  if (change.field === null) return { path: change.path, type, code: 'malformed', reason: 'a change without a field name' };
  if (entryId === '0') {
    return { path: change.path, type, code: 'not_supported', reason: "the dashboard's test sample (real messages arrive in messaging[], not changes[])" };
  }
  if (COMMENT_FIELDS.has(change.field)) return { path: change.path, type, code: 'not_supported', reason: 'comments and mentions are not handled' };
  if (change.field === 'messaging' || change.field === 'standby') {
    return { path: change.path, type, code: 'malformed', reason: `${change.field} is not a list` };
  }
  return { path: change.path, type, code: 'not_supported', reason: `"${change.field}" changes are not handled` };
}

export function ignoredEntry(entry: RejectedEntry): IgnoredItem {
  const why = entry.reason === 'entry_not_object' ? 'the entry is not an object' : 'the entry has no valid account id';
  return { path: `entry[${entry.index}]`, type: 'entry', code: 'malformed', reason: entry.detail ? `${why} (${entry.detail})` : why };
}

/** Every item of the parsed entries that no account can take, with why. */
export function ignoredItems(entries: readonly ParsedEntry[], rejected: readonly RejectedEntry[]): IgnoredItem[] {
  const ignored: IgnoredItem[] = rejected.map(ignoredEntry);
  for (const entry of entries) {
    for (const ev of entry.events) if (ev.type === 'unknown') ignored.push(ignoredUnknown(ev));
    for (const change of entry.unhandled) ignored.push(ignoredChange(change, entry.id));
  }
  return ignored;
}

/** One line for the event's `last_error` column and the CLI: what was not applied, at most three reasons. */
export function outcomeNote(o: WebhookItemOutcomes): string | undefined {
  const parts: string[] = [];
  if (o.waiting > 0) parts.push(`${o.waiting} item(s) wait for a message Threadline has not received yet`);
  if (o.unrouted.length > 0) parts.push(`${o.unrouted.length} item(s) for accounts nobody has linked`);
  if (o.ignored.length > 0) {
    const reasons = [...new Set(o.ignored.map((i) => `${i.code === 'malformed' ? 'malformed' : 'not supported'}: ${i.reason}`))];
    parts.push(`${o.ignored.length} item(s) ignored (${reasons.slice(0, 3).join('; ')})`);
  }
  return parts.length > 0 ? parts.join('; ') : undefined;
}
