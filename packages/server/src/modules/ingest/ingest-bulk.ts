import type { Db } from '../../db/client.ts';
import type { MessageEvent } from '../../instagram/webhook-payload.ts';
import type { InboxEvent } from '../../events/inbox-events.ts';
import { previewOf, reopenedEvent } from '../inbox/inbox-write.repository.ts';
import { applyCacheKey, messageKind, storedAttachments, type ApplyCache, type ApplyHooks } from './ingest-apply.ts';
import type { ArrivedMessage } from './waiting-events.repository.ts';
import { ingestRepository } from './ingest.repository.ts';

type Item = { accountId: string; ev: MessageEvent };

/** A message of an account, by its Meta mid. */
const midKey = (accountId: string, mid: string) => `${accountId}:${mid}`;

/**
 * The conversations among `conversationIds` holding a Threadline send that has no `mid` yet (its answer was lost or
 * is pending): an echo there may be that send's, and is matched one by one (`claimPendingOutbound`), never set-wise.
 */
export async function conversationsWithPendingSends(tx: Db, accountIds: string[], conversationIds: string[]): Promise<Set<string>> {
  if (conversationIds.length === 0) return new Set();
  return ingestRepository.conversationsWithPendingSends(tx, [...new Set(accountIds)], [...new Set(conversationIds)]);
}

/** Per touched conversation: its newest new message, and what the inbound ones among them add. */
export type ConversationAggregates = Map<
  string,
  { newestAt: Date; newestId: string; preview: string; direction: 'inbound' | 'outbound'; inboundCount: number; newestInboundAt: Date | null }
>;

/**
 * Inbound messages and echoes (the bulk of any batch) written set-wise: one insert, and for echoes of messages
 * already stored (a Threadline send confirmed by its echo) one update. The unique key (account, mid) makes it
 * idempotent: a duplicate delivery, a replay or a tombstone inserts nothing. Echoes in a conversation with a pending
 * send must not come here (see `conversationsWithPendingSends`).
 */
export async function insertMessagesBulk(
  tx: Db,
  items: Item[],
  hooks: ApplyHooks,
  cache: ApplyCache,
): Promise<{ events: InboxEvent[]; aggregates: ConversationAggregates; arrived: ArrivedMessage[] }> {
  const aggregates: ConversationAggregates = new Map();
  const arrived: ArrivedMessage[] = [];
  if (items.length === 0) return { events: [], aggregates, arrived };
  const events: InboxEvent[] = [];
  const rows = items.map((i) => {
    const inbound = i.ev.direction === 'inbound';
    return {
      i,
      inbound,
      conversationId: cache.get(applyCacheKey(i.accountId, i.ev.contactIgsid))?.conversationId ?? '',
      attachments: storedAttachments(i.ev.attachments),
      kind: messageKind(i.ev),
      at: new Date(i.ev.timestamp),
    };
  });
  const jsonOrNull = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));
  const inserted = await ingestRepository.insertMessages(tx, [
    rows.map((r) => r.i.accountId),
    rows.map((r) => r.conversationId),
    rows.map((r) => r.i.ev.mid),
    rows.map((r) => r.i.ev.direction),
    rows.map((r) => (r.inbound ? 'contact' : 'instagram_app')),
    rows.map((r) => r.kind),
    rows.map((r) => r.i.ev.text ?? null),
    rows.map((r) => JSON.stringify(r.attachments)),
    rows.map((r) => (r.i.ev.replyTo && 'mid' in r.i.ev.replyTo ? r.i.ev.replyTo.mid : null)),
    rows.map((r) => jsonOrNull(r.i.ev.replyTo && 'story' in r.i.ev.replyTo ? r.i.ev.replyTo.story : null)),
    rows.map((r) => r.i.ev.quickReply?.payload ?? null),
    rows.map((r) => jsonOrNull(r.i.ev.referral)),
    rows.map((r) => r.i.ev.isUnsupported),
    rows.map((r) => (r.inbound ? 'received' : 'sent')),
    rows.map((r) => r.at.toISOString()),
  ]);
  const idByMid = new Map(inserted.map((r) => [midKey(r.account_id, r.mid), r.id]));

  const notInserted: typeof rows = [];
  for (const r of rows) {
    const k = midKey(r.i.accountId, r.i.ev.mid);
    const id = idByMid.get(k);
    if (!id) {
      if (!r.inbound) notInserted.push(r);
      continue;
    }
    idByMid.delete(k); // a mid twice in the batch is one message, one event
    arrived.push({ id, accountId: r.i.accountId, mid: r.i.ev.mid, conversationId: r.conversationId, sentAt: r.at });
    const direction = r.inbound ? 'inbound' : 'outbound';
    events.push({ type: r.inbound ? 'message.received' : 'message.sent', accountId: r.i.accountId, conversationId: r.conversationId, messageId: id, occurredAt: r.at });
    if (r.attachments.some((a) => a.url)) await hooks.onAttachments(tx, { id, accountId: r.i.accountId, attachments: r.attachments });
    const preview = previewOf({ text: r.i.ev.text ?? null, attachments: r.attachments, kind: r.kind });
    const agg = aggregates.get(r.conversationId);
    if (!agg) {
      aggregates.set(r.conversationId, { newestAt: r.at, newestId: id, preview, direction, inboundCount: r.inbound ? 1 : 0, newestInboundAt: r.inbound ? r.at : null });
      continue;
    }
    if (r.at >= agg.newestAt) Object.assign(agg, { newestAt: r.at, newestId: id, preview, direction });
    if (r.inbound) {
      agg.inboundCount += 1;
      if (!agg.newestInboundAt || r.at > agg.newestInboundAt) agg.newestInboundAt = r.at;
    }
  }

  // The echo of a message Threadline sent and already knows by its mid: it confirms that row, it is not a new one.
  if (notInserted.length > 0) {
    const confirmed = await ingestRepository.confirmSentByMid(
      tx,
      notInserted.map((r) => r.i.accountId),
      notInserted.map((r) => r.i.ev.mid),
    );
    const atByMid = new Map(notInserted.map((r) => [midKey(r.i.accountId, r.i.ev.mid), r.at]));
    for (const c of confirmed) {
      events.push({ type: 'message.updated', accountId: c.account_id, conversationId: c.conversation_id, messageId: c.id, occurredAt: atByMid.get(midKey(c.account_id, c.mid)) ?? new Date() });
    }
  }
  return { events, aggregates, arrived };
}

/**
 * Folds a batch's new messages into their conversations in one update (the rows are already locked, in id order),
 * run last in the transaction so conversation rows stay locked as briefly as possible. Every comparison uses the
 * row's old values, so the newest message by Meta's timestamp wins whatever order events arrive in.
 */
export async function applyConversationAggregates(tx: Db, byConversation: ConversationAggregates): Promise<InboxEvent[]> {
  if (byConversation.size === 0) return [];
  const list = [...byConversation].sort(([a], [b]) => a.localeCompare(b)).map(([id, a]) => ({ id, ...a }));
  const rows = await ingestRepository.updateConversationAggregates(tx, [
    list.map((a) => a.id),
    list.map((a) => a.newestAt.toISOString()),
    list.map((a) => a.newestId),
    list.map((a) => a.preview),
    list.map((a) => a.direction),
    list.map((a) => a.inboundCount),
    list.map((a) => a.newestInboundAt?.toISOString() ?? null),
  ]);
  return rows.flatMap((r) => {
    const previous = r.previous_status;
    if (previous === 'open' || r.newest_inbound_at === null || (previous !== 'snoozed' && previous !== 'done')) return [];
    return [reopenedEvent(r.account_id, r.id, previous, new Date(String(r.newest_inbound_at)))];
  });
}
