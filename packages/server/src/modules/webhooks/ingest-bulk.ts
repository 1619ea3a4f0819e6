import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { queryRows } from '../../db/client.ts';
import type { MessageEvent } from '../../instagram/webhook-payload.ts';
import type { InboxEvent } from '../inbox/inbox-events.ts';
import { previewOf } from '../inbox/inbox-write.repository.ts';
import { messageKind, storedAttachments, type ApplyCache, type ApplyHooks } from './ingest-apply.ts';

type Item = { accountId: string; ev: MessageEvent };

const values = (rows: SQL[]) => sql.join(rows, sql`, `);

/**
 * The common case of a batch, inbound messages, written set-wise: a few statements for contacts, conversations
 * and messages, one to lock and one to update the touched conversations, whatever the batch size. The same
 * unique keys as the one-by-one path make it idempotent; rows are locked in one order (account, contact) so
 * concurrent batches cannot deadlock.
 */
/**
 * Every contact and conversation a batch touches, created or read set-wise, then locked in one global order (id),
 * so that concurrent batches never deadlock: whatever a batch updates later, it already holds.
 */
export async function ensureConversations(
  tx: Db,
  pairsIn: { accountId: string; igsid: string; at: number }[],
  hooks: ApplyHooks,
  cache: ApplyCache,
): Promise<InboxEvent[]> {
  const events: InboxEvent[] = [];
  const key = (accountId: string, igsid: string) => `${accountId}:${igsid}`;
  const items = pairsIn.map((p) => ({ accountId: p.accountId, ev: { contactIgsid: p.igsid, timestamp: p.at } }));
  // Contacts and conversations not yet seen in this transaction.
  const missingPairs = [...new Map(items.filter((i) => !cache.has(key(i.accountId, i.ev.contactIgsid))).map((i) => [key(i.accountId, i.ev.contactIgsid), i])).values()].sort(
    (a, b) => a.accountId.localeCompare(b.accountId) || a.ev.contactIgsid.localeCompare(b.ev.contactIgsid),
  );
  if (missingPairs.length > 0) {
    // DO NOTHING, then a plain read of the rest: existing rows are not locked for the rest of the transaction.
    const pairList = values(missingPairs.map((p) => sql`(${p.accountId}::uuid, ${p.ev.contactIgsid})`));
    const newContacts = await queryRows<{ id: string; account_id: string; igsid: string }>(
      tx,
      sql`insert into contacts (account_id, igsid) values ${pairList} on conflict (account_id, igsid) do nothing returning id, account_id, igsid`,
    );
    const oldContacts = await queryRows<{ id: string; account_id: string; igsid: string }>(
      tx,
      sql`select c.id, c.account_id, c.igsid from contacts c join (values ${pairList}) as v(account_id, igsid)
          on c.account_id = v.account_id and c.igsid = v.igsid`,
    );
    const newIds = new Set(newContacts.map((c) => c.id));
    const contacts = [...new Map([...oldContacts, ...newContacts].map((c) => [c.id, { ...c, inserted: newIds.has(c.id) }])).values()];
    const contactsSorted = [...contacts].sort((a, b) => a.account_id.localeCompare(b.account_id) || a.id.localeCompare(b.id));
    const contactList = values(contactsSorted.map((c) => sql`(${c.account_id}::uuid, ${c.id}::uuid)`));
    const newConversations = await queryRows<{ id: string; account_id: string; contact_id: string }>(
      tx,
      sql`insert into conversations (account_id, contact_id) values ${contactList} on conflict (account_id, contact_id) do nothing
          returning id, account_id, contact_id`,
    );
    const oldConversations = await queryRows<{ id: string; account_id: string; contact_id: string }>(
      tx,
      sql`select c.id, c.account_id, c.contact_id from conversations c join (values ${contactList}) as v(account_id, contact_id)
          on c.account_id = v.account_id and c.contact_id = v.contact_id`,
    );
    const newConvIds = new Set(newConversations.map((c) => c.id));
    const conversations = [...new Map([...oldConversations, ...newConversations].map((c) => [c.id, { ...c, inserted: newConvIds.has(c.id) }])).values()];
    const convByContact = new Map(conversations.map((c) => [c.contact_id, c]));
    const firstAt = new Map<string, Date>();
    for (const i of items) {
      const k = key(i.accountId, i.ev.contactIgsid);
      const at = new Date(i.ev.timestamp);
      const prev = firstAt.get(k);
      if (!prev || at < prev) firstAt.set(k, at);
    }
    const fresh = contacts.filter((c) => c.inserted).map((c) => ({ id: c.id, accountId: c.account_id, igsid: c.igsid }));
    if (fresh.length > 0) await hooks.onNewContacts(tx, fresh);
    for (const c of contacts) {
      const conv = convByContact.get(c.id);
      if (!conv) throw new Error('conversation upsert returned nothing');
      cache.set(key(c.account_id, c.igsid), { contactId: c.id, conversationId: conv.id });
      if (conv.inserted) {
        events.push({ type: 'conversation.created', accountId: c.account_id, conversationId: conv.id, occurredAt: firstAt.get(key(c.account_id, c.igsid)) ?? new Date() });
      }
    }
  }

  const ids = [...new Set(pairsIn.map((p) => cache.get(key(p.accountId, p.igsid))?.conversationId).filter((id): id is string => Boolean(id)))].sort();
  if (ids.length > 0) {
    await tx.execute(sql`select id from conversations where id in (${sql.join(ids.map((id) => sql`${id}::uuid`), sql`, `)}) order by id for update`);
  }
  return events;
}

export async function insertInboundMessages(
  tx: Db,
  items: Item[],
  hooks: ApplyHooks,
  cache: ApplyCache,
): Promise<{ events: InboxEvent[]; aggregates: ConversationAggregates }> {
  if (items.length === 0) return { events: [], aggregates: new Map() };
  const events: InboxEvent[] = [];
  const key = (accountId: string, igsid: string) => `${accountId}:${igsid}`;

  // Messages: one insert; a mid already stored (duplicate delivery, replay, tombstone) inserts nothing.
  const rows = items.map((i) => {
    const conversationId = cache.get(key(i.accountId, i.ev.contactIgsid))?.conversationId ?? '';
    const attachments = storedAttachments(i.ev.attachments);
    const kind = messageKind(i.ev);
    return { i, conversationId, attachments, kind, at: new Date(i.ev.timestamp) };
  });
  const inserted = await queryRows<{ id: string; account_id: string; mid: string }>(
    tx,
    sql`insert into messages (account_id, conversation_id, mid, direction, author_type, kind, text, attachments, reply_to_mid,
          reply_to_story, quick_reply_payload, referral, is_unsupported, status, sent_at)
        values ${values(
          rows.map(
            (r) => sql`(${r.i.accountId}::uuid, ${r.conversationId}::uuid, ${r.i.ev.mid}, 'inbound', 'contact', ${r.kind}, ${r.i.ev.text ?? null},
              ${JSON.stringify(r.attachments)}::jsonb, ${r.i.ev.replyTo && 'mid' in r.i.ev.replyTo ? r.i.ev.replyTo.mid : null},
              ${r.i.ev.replyTo && 'story' in r.i.ev.replyTo ? JSON.stringify(r.i.ev.replyTo.story) : null}::jsonb,
              ${r.i.ev.quickReply?.payload ?? null}, ${r.i.ev.referral ? JSON.stringify(r.i.ev.referral) : null}::jsonb,
              ${r.i.ev.isUnsupported}, 'received', ${r.at})`,
          ),
        )}
        on conflict (account_id, mid) do nothing
        returning id, account_id, mid`,
  );
  if (inserted.length === 0) return { events, aggregates: new Map() };
  const idByMid = new Map(inserted.map((r) => [`${r.account_id}:${r.mid}`, r.id]));

  // Each touched conversation: its newest new message, how many arrived, the latest one (they all open the window).
  type Agg = { newestAt: Date; newestId: string; preview: string; count: number };
  const byConversation = new Map<string, Agg>();
  for (const r of rows) {
    const id = idByMid.get(`${r.i.accountId}:${r.i.ev.mid}`);
    if (!id) continue;
    idByMid.delete(`${r.i.accountId}:${r.i.ev.mid}`);
    events.push({ type: 'message.received', accountId: r.i.accountId, conversationId: r.conversationId, messageId: id, occurredAt: r.at });
    if (r.attachments.some((a) => a.url)) await hooks.onAttachments(tx, { id, accountId: r.i.accountId, attachments: r.attachments });
    const agg = byConversation.get(r.conversationId);
    const preview = previewOf({ text: r.i.ev.text ?? null, attachments: r.attachments, kind: r.kind });
    if (!agg) byConversation.set(r.conversationId, { newestAt: r.at, newestId: id, preview, count: 1 });
    else {
      agg.count += 1;
      if (r.at >= agg.newestAt) Object.assign(agg, { newestAt: r.at, newestId: id, preview });
    }
  }
  return { events, aggregates: byConversation };
}

export type ConversationAggregates = Map<string, { newestAt: Date; newestId: string; preview: string; count: number }>;

/**
 * Folds a batch's new inbound messages into their conversations: one lock (in id order) and one update, run last
 * in the transaction so conversation rows stay locked as briefly as possible.
 */
export async function applyConversationAggregates(tx: Db, byConversation: ConversationAggregates): Promise<void> {
  if (byConversation.size === 0) return;
  const ids = [...byConversation.keys()].sort();
  await tx.execute(sql`
    update conversations c set
      last_message_id = case when c.last_message_at is null or v.newest_at >= c.last_message_at then v.newest_id else c.last_message_id end,
      last_message_preview = case when c.last_message_at is null or v.newest_at >= c.last_message_at then v.preview else c.last_message_preview end,
      last_message_direction = case when c.last_message_at is null or v.newest_at >= c.last_message_at then 'inbound' else c.last_message_direction end,
      needs_reply = case when c.last_message_at is null or v.newest_at >= c.last_message_at then true else c.needs_reply end,
      last_message_at = greatest(c.last_message_at, v.newest_at),
      last_inbound_at = greatest(c.last_inbound_at, v.newest_at),
      unread_count = c.unread_count + v.n,
      updated_at = now()
    from (values ${values(
      ids.map((id) => {
        const a = byConversation.get(id);
        return sql`(${id}::uuid, ${a?.newestAt ?? new Date()}::timestamptz, ${a?.newestId ?? id}::uuid, ${a?.preview ?? ''}, ${a?.count ?? 0}::int)`;
      }),
    )}) as v(id, newest_at, newest_id, preview, n)
    where c.id = v.id`);
}
