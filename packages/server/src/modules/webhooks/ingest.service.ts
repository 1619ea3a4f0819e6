import type { Db } from '../../db/client.ts';
import { parseJsonPreservingBigInts, parseMetaWebhook, type KnownEvent, type MessageEvent } from '../../instagram/webhook-payload.ts';
import type { Logger } from '../../shared/logger.ts';
import { accountsByIgUserIdsIn } from '../accounts/accounts-in-transaction.ts';
import { flushAll, recordAll, type InboxEventSink } from '../inbox/inbox-events.ts';
import { applyCacheKey, applyEvent, createApplyCache, type ApplyHooks } from './ingest-apply.ts';
import { applyConversationAggregates, conversationsWithPendingSends, insertMessagesBulk } from './ingest-bulk.ts';
import { createKnownConversations, ensureConversations } from './ingest-conversations.ts';

export type ProcessOutcome =
  | { status: 'processed' | 'invalid' | 'unrouted' | 'unhandled'; accountIgIds: string[]; eventCount: number; note?: string }
  | { status: 'retry'; accountIgIds: string[]; eventCount: number; reason: string };

export type IngestDeps = { db: Db; sinks: readonly InboxEventSink[]; hooks: ApplyHooks; log: Logger };

export type RawEvent = { id: number; body: Buffer; attempts: number };

type Prepared =
  | { raw: RawEvent; outcome: ProcessOutcome; events?: undefined }
  | { raw: RawEvent; events: KnownEvent[]; entryIds: string[]; unknownCount: number; unhandledCount: number };

function routingCandidates(ev: KnownEvent): string[] {
  // entry.id names the account; an echo also names it as sender, an inbound event as recipient.
  return [ev.accountIgId, ev.direction === 'outbound' ? ev.senderId : ev.recipientId];
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
  let unknownCount = 0;
  let unhandledCount = 0;
  for (const entry of parsed.entries) {
    unhandledCount += entry.unhandled.length;
    for (const ev of entry.events) {
      if (ev.type === 'unknown') unknownCount += 1;
      else events.push(ev);
    }
  }
  return { raw, events, entryIds: [...new Set(parsed.entries.map((e) => e.id))], unknownCount, unhandledCount };
}

/**
 * Turns stored raw webhooks into inbox rows. A claimed batch is applied in the caller's one transaction: every
 * event of every raw webhook, routed by account, in one lock order (account, contact, Meta time) so concurrent
 * batches cannot deadlock and each conversation sees its events in Meta's order.
 */
export function createIngestService({ db, sinks, hooks, log }: IngestDeps) {
  // Conversations of contacts seen before: a steady batch skips their create-or-read (its lock confirms them).
  const known = createKnownConversations();
  return {
    async processBatch(tx: Db, raws: RawEvent[], maxAttempts: number): Promise<Map<number, ProcessOutcome>> {
      const prepared = raws.map(prepare);
      const outcomes = new Map<number, ProcessOutcome>();
      const candidateIds = new Set<string>();
      for (const p of prepared) {
        if (p.events === undefined) continue;
        for (const id of p.entryIds) candidateIds.add(id);
        for (const ev of p.events) for (const id of routingCandidates(ev)) candidateIds.add(id);
      }
      // Whole rows, kept for the transaction: the CRM outbox takes the same accounts from there.
      const accountRows = await accountsByIgUserIdsIn(tx, [...candidateIds]);
      const byIgId = new Map(accountRows.map((a) => [a.igUserId, a.id]));

      const routed: { accountId: string; ev: KnownEvent; rawId: number }[] = [];
      const unrouted = new Map<number, number>();
      for (const p of prepared) {
        if (p.events === undefined) continue;
        for (const ev of p.events) {
          const accountId = routingCandidates(ev).map((id) => byIgId.get(id)).find((id) => id !== undefined);
          if (accountId) routed.push({ accountId, ev, rawId: p.raw.id });
          else unrouted.set(p.raw.id, (unrouted.get(p.raw.id) ?? 0) + 1);
        }
      }
      routed.sort(
        (a, b) =>
          a.accountId.localeCompare(b.accountId) ||
          a.ev.contactIgsid.localeCompare(b.ev.contactIgsid) ||
          a.ev.timestamp - b.ev.timestamp,
      );
      const missing = new Map<number, string[]>();
      const cache = createApplyCache();
      const created = await ensureConversations(tx, routed.map((r) => ({ accountId: r.accountId, igsid: r.ev.contactIgsid, at: r.ev.timestamp })), hooks, cache, known);
      await recordAll(sinks, tx, created, { flush: false });
      // Messages, the bulk of any batch, go in set-wise; an echo in a conversation with a send still waiting for its
      // mid goes one by one (it may be that send's), and so does every other kind of event, in order, after them.
      const conversationOf = (r: { accountId: string; ev: KnownEvent }) => cache.get(applyCacheKey(r.accountId, r.ev.contactIgsid))?.conversationId ?? '';
      const messageItems = routed.filter((r): r is typeof r & { ev: MessageEvent } => r.ev.type === 'message');
      const echoes = messageItems.filter((r) => r.ev.direction === 'outbound');
      const pending = await conversationsWithPendingSends(tx, echoes.map((r) => r.accountId), echoes.map(conversationOf));
      const bulk = messageItems.filter((r) => r.ev.direction === 'inbound' || !pending.has(conversationOf(r)));
      const inBulk = new Set<object>(bulk);
      const written = await insertMessagesBulk(tx, bulk, hooks, cache);
      await recordAll(sinks, tx, written.events, { flush: false });
      for (const item of routed) {
        if (inBulk.has(item)) continue;
        const { accountId, ev, rawId } = item;
        const result = await applyEvent(tx, accountId, ev, hooks, cache);
        if (result.missingReference) missing.set(rawId, [...(missing.get(rawId) ?? []), result.missingReference]);
        await recordAll(sinks, tx, result.events, { flush: false });
      }
      await applyConversationAggregates(tx, written.aggregates);
      await flushAll(sinks, tx);

      for (const p of prepared) {
        if (p.events === undefined) {
          outcomes.set(p.raw.id, p.outcome);
          continue;
        }
        const eventCount = p.events.length + p.unknownCount + p.unhandledCount;
        const accountIgIds = p.entryIds;
        const gaps = missing.get(p.raw.id) ?? [];
        const lost = unrouted.get(p.raw.id) ?? 0;
        if (gaps.length > 0 && p.raw.attempts < maxAttempts) {
          outcomes.set(p.raw.id, { status: 'retry', accountIgIds, eventCount, reason: gaps.slice(0, 5).join('; ') });
          continue;
        }
        if (gaps.length > 0) log.warn({ missing: gaps.length }, 'webhook events refer to unknown messages');
        const note = gaps.length > 0 ? `${gaps.length} event(s) refer to messages Threadline never received: ${gaps.slice(0, 3).join('; ')}` : undefined;
        if (lost > 0) outcomes.set(p.raw.id, { status: 'unrouted', accountIgIds, eventCount, note: `${lost} event(s) for accounts nobody has linked` });
        else if (p.events.length === 0) outcomes.set(p.raw.id, { status: 'unhandled', accountIgIds, eventCount, ...(note ? { note } : {}) });
        else outcomes.set(p.raw.id, { status: 'processed', accountIgIds, eventCount, ...(note ? { note } : {}) });
      }
      return outcomes;
    },
    db,
  };
}
export type IngestService = ReturnType<typeof createIngestService>;
