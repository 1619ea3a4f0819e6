import type { WebhookItem } from '@threadline/contract';
import type { WebhookItemOutcomes } from './ingest.repository.ts';
import { parseJsonPreservingBigInts, parseMetaWebhook } from '../../instagram/webhook-payload.ts';
import { ignoredItems } from './ingest-outcomes.ts';

/** A waiting row recorded for an item of the event: still waiting, or applied when its message came. */
export type WaitingOfEvent = { itemPath: string | null; mid: string; appliedAt: Date | null };

const unprocessed = (path: string, type: string, mid: string | null): WebhookItem => ({
  path, type, mid, outcome: 'not_processed', code: null, reason: null,
});

/**
 * Every item of a raw event and what became of it, for the administrators' view: the body is parsed again (it is
 * kept verbatim) and joined with the outcomes recorded when it was processed and the rows that waited for a message.
 */
export function describeItems(body: Buffer, outcomes: WebhookItemOutcomes | null, waiting: readonly WaitingOfEvent[]): WebhookItem[] {
  let json: unknown;
  try {
    json = parseJsonPreservingBigInts(body.toString('utf8'));
  } catch {
    return [{ path: '', type: 'body', mid: null, outcome: 'ignored', code: 'malformed', reason: 'the body is not valid JSON' }];
  }
  const parsed = parseMetaWebhook(json);
  if (parsed.kind === 'invalid') {
    return [{ path: '', type: 'body', mid: null, outcome: 'ignored', code: 'malformed', reason: `not an Instagram webhook (${parsed.reason})` }];
  }
  const ignored = new Map(ignoredItems(parsed.entries, parsed.rejectedEntries).map((i) => [i.path, i]));
  const unrouted = new Set(outcomes?.unrouted ?? []);
  const waitingByPath = new Map(waiting.filter((w) => w.itemPath !== null).map((w) => [w.itemPath, w]));
  const items: WebhookItem[] = [];
  const add = (path: string, type: string, mid: string | null) => {
    const skip = ignored.get(path);
    if (skip) {
      items.push({ path, type: skip.type, mid, outcome: outcomes ? 'ignored' : 'not_processed', code: skip.code, reason: skip.reason });
      return;
    }
    if (!outcomes) return items.push(unprocessed(path, type, mid));
    if (unrouted.has(path)) {
      return items.push({ path, type, mid, outcome: 'unrouted', code: null, reason: 'no linked account has this Instagram id: processed again when one is linked' });
    }
    const wait = waitingByPath.get(path);
    if (!wait) return items.push({ path, type, mid, outcome: 'applied', code: null, reason: null });
    items.push(
      wait.appliedAt === null
        ? { path, type, mid, outcome: 'waiting', code: null, reason: `waits for message ${wait.mid}, which Threadline has not received (sent before the account was linked, or its webhook is late or lost)` }
        : { path, type, mid, outcome: 'applied_later', code: null, reason: `applied when message ${wait.mid} arrived` },
    );
  };
  for (const rejected of parsed.rejectedEntries) add(`entry[${rejected.index}]`, 'entry', null);
  for (const entry of parsed.entries) {
    for (const ev of entry.events) add(ev.path, ev.type, 'mid' in ev && typeof ev.mid === 'string' ? ev.mid : null);
    for (const change of entry.unhandled) add(change.path, change.field ?? 'change', null);
  }
  return items;
}
