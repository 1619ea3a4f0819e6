import type { Db } from '../../db/client.ts';
import { parseJsonPreservingBigInts, parseMetaWebhook, type KnownEvent, type MessageEvent } from '../../instagram/webhook-payload.ts';
import type { Logger } from '../../shared/logger.ts';
import { accountsByIgUserIdsIn } from '../accounts/accounts-in-transaction.ts';
import { recordAll, type InboxEvent, type InboxUnitOfWork } from '../../events/inbox-events.ts';
import type { WebhookItemOutcomes } from './ingest.repository.ts';
import { applyCacheKey, applyEvent, createApplyCache, type ApplyHooks } from './ingest-apply.ts';
import { applyWaiting } from './ingest-message-events.ts';
import { ignoredItems, outcomeNote, type IgnoredItem } from './ingest-outcomes.ts';
import { applyConversationAggregates, conversationsWithPendingSends, insertMessagesBulk } from './ingest-bulk.ts';
import { createKnownConversations, ensureConversations } from './ingest-conversations.ts';

export type ProcessOutcome = {
  status: 'processed' | 'invalid' | 'unrouted' | 'unhandled';
  accountIgIds: string[];
  eventCount: number;
  note?: string;
  items?: WebhookItemOutcomes;
};

export type IngestDeps = { db: Db; hooks: ApplyHooks; log: Logger };

export type RawEvent = { id: number; body: Buffer; attempts: number };

type Prepared =
  | { raw: RawEvent; outcome: ProcessOutcome; events?: undefined }
  | { raw: RawEvent; events: KnownEvent[]; entryIds: string[]; ignored: IgnoredItem[]; itemCount: number };

function routingCandidates(ev: KnownEvent): string[] {
  // entry.id names the account; an echo also names it as sender, an inbound event as recipient.
  return [ev.accountIgId, ev.direction === 'outbound' ? (ev.senderId ?? ev.accountIgId) : ev.recipientId];
}

function prepare(raw: RawEvent): Prepared {
  let json: unknown;
  try {
    json = parseJsonPreservingBigInts(raw.body.toString('utf8'));
  } catch {
    return { raw, outcome: { status: 'invalid', accountIgIds: [], eventCount: 0, note: 'body is not valid JSON' } };
  }
  const parsed = parseMetaWebhook(json);
  if (parsed.kind === 'invalid') return { raw, outcome: { status: 'invalid', accountIgIds: [], eventCount: 0, note: parsed.reason } };
  const events: KnownEvent[] = [];
  for (const entry of parsed.entries) {
    for (const ev of entry.events) if (ev.type !== 'unknown') events.push(ev);
  }
  const ignored = ignoredItems(parsed.entries, parsed.rejectedEntries);
  const entryIds = [...new Set(parsed.entries.map((e) => e.id))];
  return { raw, events, entryIds, ignored, itemCount: events.length + ignored.length };
}

/** The contact an event names; a seen receipt without `sender` names none (its message says which conversation). */
const contactOf = (ev: KnownEvent): string | null => ev.contactIgsid;

/**
 * Turns stored raw webhooks into inbox rows. A claimed batch is applied in the caller's one transaction: every
 * event of every raw webhook, routed by account, in one lock order (account, contact, Meta time) so concurrent
 * batches cannot deadlock and each conversation sees its events in Meta's order. Nothing is retried for a message
 * Threadline does not have: what names one waits for it (§3.7), so only a failure of the batch itself retries.
 */
export function createIngestService({ db, hooks, log }: IngestDeps) {
  // Conversations of contacts seen before: a steady batch skips their create-or-read (its lock confirms them).
  const known = createKnownConversations();
  const lookupText = hooks.onEditWithoutText;
  return {
    async processBatch(uow: InboxUnitOfWork, raws: RawEvent[]): Promise<Map<number, ProcessOutcome>> {
      const { tx } = uow;
      const prepared = raws.map(prepare);
      const outcomes = new Map<number, ProcessOutcome>();
      const candidateIds = new Set<string>();
      for (const p of prepared) {
        if (p.events === undefined) continue;
        for (const id of p.entryIds) candidateIds.add(id);
        for (const ev of p.events) for (const id of routingCandidates(ev)) candidateIds.add(id);
      }
      // Whole rows, kept for the unit of work: the CRM outbox takes the same accounts from there.
      const accountRows = await accountsByIgUserIdsIn(uow, [...candidateIds]);
      const byIgId = new Map(accountRows.map((a) => [a.igUserId, a.id]));

      const routed: { accountId: string; ev: KnownEvent; rawId: number }[] = [];
      const unrouted = new Map<number, string[]>();
      for (const p of prepared) {
        if (p.events === undefined) continue;
        for (const ev of p.events) {
          const accountId = routingCandidates(ev).map((id) => byIgId.get(id)).find((id) => id !== undefined);
          if (accountId) routed.push({ accountId, ev, rawId: p.raw.id });
          else unrouted.set(p.raw.id, [...(unrouted.get(p.raw.id) ?? []), ev.path]);
        }
      }
      routed.sort(
        (a, b) =>
          a.accountId.localeCompare(b.accountId) ||
          (contactOf(a.ev) ?? '').localeCompare(contactOf(b.ev) ?? '') ||
          a.ev.timestamp - b.ev.timestamp,
      );
      const cache = createApplyCache();
      const pairs = routed.flatMap((r) => {
        const igsid = contactOf(r.ev);
        return igsid === null ? [] : [{ accountId: r.accountId, igsid, at: r.ev.timestamp }];
      });
      const created = await ensureConversations(tx, pairs, hooks, cache, known);
      await recordAll(uow, created, { flush: false });
      // Messages, the bulk of any batch, go in set-wise; an echo in a conversation with a send still waiting for its
      // mid goes one by one (it may be that send's), and so does every other kind of event, in order, after them.
      const conversationOf = (r: { accountId: string; ev: MessageEvent }) => cache.get(applyCacheKey(r.accountId, r.ev.contactIgsid))?.conversationId ?? '';
      const messageItems = routed.filter((r): r is typeof r & { ev: MessageEvent } => r.ev.type === 'message');
      const echoes = messageItems.filter((r) => r.ev.direction === 'outbound');
      const pending = await conversationsWithPendingSends(tx, echoes.map((r) => r.accountId), echoes.map(conversationOf));
      const bulk = messageItems.filter((r) => r.ev.direction === 'inbound' || !pending.has(conversationOf(r)));
      const inBulk = new Set<object>(bulk);
      const written = await insertMessagesBulk(tx, bulk, hooks, cache);
      await recordAll(uow, written.events, { flush: false });
      const reopened = await applyConversationAggregates(tx, written.aggregates);
      await recordAll(uow, reopened, { flush: false });
      // what waited for these messages, before the batch's own reactions and edits (which are newer)
      await recordAll(uow, await applyWaiting(tx, written.arrived, { textIsCurrent: false, lookupText }), { flush: false });
      const appliedEvents: InboxEvent[] = [];
      const counts = new Map<number, { applied: number; waiting: number }>();
      for (const item of routed) {
        const count = counts.get(item.rawId) ?? { applied: 0, waiting: 0 };
        counts.set(item.rawId, count);
        if (inBulk.has(item)) {
          count.applied += 1;
          continue;
        }
        const result = await applyEvent(tx, item.accountId, item.ev, hooks, cache, { webhookEventId: item.rawId });
        count[result.outcome] += 1;
        await recordAll(uow, result.events, { flush: false });
        appliedEvents.push(...result.events);
      }
      // Auto-assignment, for accounts that have it (known from the rows read above: no query for the others).
      const autoAssigning = new Map(accountRows.filter((a) => a.autoAssignEnabled).map((a) => [a.id, a.autoAssignLimit]));
      if (autoAssigning.size > 0 && hooks.onConversationsOpened) {
        const opened = new Map<string, { accountId: string; conversationId: string; limit: number }>();
        for (const e of [...created, ...reopened, ...appliedEvents]) {
          const limit = autoAssigning.get(e.accountId);
          if (limit === undefined || !('conversationId' in e)) continue;
          if (e.type === 'conversation.created' || (e.type === 'conversation.status_changed' && e.live?.['status'] === 'open')) {
            opened.set(e.conversationId, { accountId: e.accountId, conversationId: e.conversationId, limit });
          }
        }
        if (opened.size > 0) await recordAll(uow, await hooks.onConversationsOpened(tx, [...opened.values()]), { flush: false });
      }
      await uow.flush();

      for (const p of prepared) {
        if (p.events === undefined) {
          outcomes.set(p.raw.id, p.outcome);
          continue;
        }
        const { applied, waiting } = counts.get(p.raw.id) ?? { applied: 0, waiting: 0 };
        const items: WebhookItemOutcomes = { applied, waiting, ignored: p.ignored, unrouted: unrouted.get(p.raw.id) ?? [] };
        const note = outcomeNote(items);
        const status = items.unrouted.length > 0 ? 'unrouted' : applied + waiting === 0 ? 'unhandled' : 'processed';
        if (p.ignored.some((i) => i.code === 'malformed')) log.warn({ webhookEventId: p.raw.id, malformed: p.ignored.length }, 'webhook items ignored as malformed');
        outcomes.set(p.raw.id, { status, accountIgIds: p.entryIds, eventCount: p.itemCount, items, ...(note ? { note } : {}) });
      }
      return outcomes;
    },
    db,
  };
}
export type IngestService = ReturnType<typeof createIngestService>;
