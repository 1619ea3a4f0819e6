import { and, eq, inArray, lte, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { queryRows } from '../../db/client.ts';
import type { InboxEvent } from '../../events/inbox-events.ts';
import { contacts, conversations, messageReactions, messages, type StoredAttachment } from '../../db/schema/index.ts';

type MessageInsert = typeof messages.$inferInsert;

const PREVIEW_LENGTH = 140;

/** How an attachment without text reads in a conversation list; other types read as their name. */
const ATTACHMENT_PREVIEWS: Record<string, string> = {
  like_heart: '❤️',
  ig_story: '[story]',
  share: '[post]',
  ig_post: '[post]',
  ig_reel: '[reel]',
  reel: '[reel]',
};

export function previewOf(m: { text?: string | null; attachments?: StoredAttachment[]; kind?: string }): string {
  if (m.text) return m.text.slice(0, PREVIEW_LENGTH);
  if (m.kind === 'unsupported') return '[unsupported message]';
  const first = m.attachments?.[0];
  if (first) return ATTACHMENT_PREVIEWS[first.type] ?? `[${first.type.replaceAll('_', ' ')}]`;
  return m.kind && m.kind !== 'text' ? `[${m.kind}]` : '';
}

/** An edit at `at` applies unless a later one (or this one) already did. */
const editedBefore = (at: Date) => sql`(${messages.editedAt} is null or ${messages.editedAt} < ${at})`;

/**
 * Idempotent writes of the inbox: every function is an upsert guarded by a unique index, so a duplicate delivery,
 * a replayed batch or two workers at once never create a second row. All take the caller's transaction.
 */
export const inboxWrites = {
  /** The contact for (account, IGSID), created when first seen. */
  async upsertContact(tx: Db, accountId: string, igsid: string, username?: string) {
    const [row] = await queryRows<{ id: string; inserted: boolean }>(
      tx,
      sql`insert into contacts (account_id, igsid, username) values (${accountId}, ${igsid}, ${username ?? null})
          on conflict (account_id, igsid) do update set username = coalesce(contacts.username, excluded.username)
          returning id, (xmax = 0) as inserted`,
    );
    if (!row) throw new Error('contact upsert returned nothing');
    return row;
  },

  /** The one conversation of a contact on an account. */
  async upsertConversation(tx: Db, accountId: string, contactId: string) {
    const [row] = await queryRows<{ id: string; inserted: boolean }>(
      tx,
      sql`insert into conversations (account_id, contact_id) values (${accountId}, ${contactId})
          on conflict (account_id, contact_id) do update set updated_at = conversations.updated_at
          returning id, (xmax = 0) as inserted`,
    );
    if (!row) throw new Error('conversation upsert returned nothing');
    return row;
  },

  /** Inserts a message unless one with this mid exists on the account; returns its id and whether it is new. */
  async insertMessage(tx: Db, values: MessageInsert & { mid: string }) {
    const [inserted] = await tx
      .insert(messages)
      .values(values)
      .onConflictDoNothing({ target: [messages.accountId, messages.mid] })
      .returning({ id: messages.id });
    if (inserted) return { id: inserted.id, inserted: true };
    const [existing] = await tx
      .select({ id: messages.id })
      .from(messages)
      .where(and(eq(messages.accountId, values.accountId), eq(messages.mid, values.mid)))
      .limit(1);
    if (!existing) throw new Error('message neither inserted nor found');
    return { id: existing.id, inserted: false };
  },

  /** Gives a Threadline send that has no mid yet (answer lost or pending) the mid of its echo; null when none matches. */
  async claimPendingOutbound(tx: Db, conversationId: string, mid: string, text: string | null, kind: string): Promise<string | null> {
    const [row] = await queryRows<{ id: string }>(
      tx,
      sql`update messages set mid = ${mid}, status = 'sent', error_code = null, error_subcode = null, error_message = null, updated_at = now()
          where id = (
            select id from messages
            where conversation_id = ${conversationId} and direction = 'outbound' and mid is null
              and status in ('unknown', 'sending') and text is not distinct from ${text} and kind = ${kind}
            order by sent_at limit 1 for update skip locked)
          and not exists (select 1 from messages where mid = ${mid} and conversation_id = ${conversationId})
          returning id`,
    );
    return row?.id ?? null;
  },

  /** The echo of a message Threadline sent and knows by its mid: `sent`; answers whether it changed. */
  async confirmSent(tx: Db, messageId: string): Promise<boolean> {
    const rows = await tx
      .update(messages)
      .set({ status: 'sent', updatedAt: new Date() })
      .where(and(eq(messages.id, messageId), inArray(messages.status, ['queued', 'sending', 'unknown'])))
      .returning({ id: messages.id });
    return rows.length > 0;
  },

  /** An unsent last message reads "Message unsent" in the conversation list. */
  async previewUnsent(tx: Db, conversationId: string, messageId: string) {
    await tx
      .update(conversations)
      .set({ lastMessagePreview: 'Message unsent' })
      .where(and(eq(conversations.id, conversationId), eq(conversations.lastMessageId, messageId)));
  },

  async findMessageByMid(tx: Db, accountId: string, mid: string) {
    const [row] = await tx
      .select()
      .from(messages)
      .where(and(eq(messages.accountId, accountId), eq(messages.mid, mid)))
      .limit(1);
    return row;
  },

  /**
   * Folds a newly stored message into its conversation. Every comparison uses the row's old values, so the newest
   * message by Meta's timestamp wins whatever order events arrive in.
   */
  async applyMessageToConversation(
    tx: Db,
    conversationId: string,
    m: { id: string; sentAt: Date; direction: 'inbound' | 'outbound'; preview: string; opensWindow: boolean },
  ): Promise<{ accountId: string; reopenedFrom: 'snoozed' | 'done' | null }> {
    const inbound = m.direction === 'inbound';
    // A message from the customer opens a snoozed or done conversation again (`old`: the row as this statement found
    // it, before its update).
    const [row] = await queryRows<{ account_id: string; previous_status: string }>(tx, sql`
      update conversations c set
        last_message_id = case when c.last_message_at is null or ${m.sentAt} >= c.last_message_at then ${m.id}::uuid else c.last_message_id end,
        last_message_preview = case when c.last_message_at is null or ${m.sentAt} >= c.last_message_at then ${m.preview} else c.last_message_preview end,
        last_message_direction = case when c.last_message_at is null or ${m.sentAt} >= c.last_message_at then ${m.direction} else c.last_message_direction end,
        needs_reply = case when c.last_message_at is null or ${m.sentAt} >= c.last_message_at then ${inbound} else c.needs_reply end,
        last_message_at = greatest(c.last_message_at, ${m.sentAt}),
        last_inbound_at = case when ${m.opensWindow} then greatest(c.last_inbound_at, ${m.sentAt}) else c.last_inbound_at end,
        unread_count = c.unread_count + ${inbound ? 1 : 0},
        status = case when ${inbound} then 'open' else c.status end,
        snoozed_until = case when ${inbound} then null else c.snoozed_until end,
        status_changed_at = case when ${inbound} and c.status <> 'open' then now() else c.status_changed_at end,
        updated_at = now()
      from conversations old
      where c.id = ${conversationId} and old.id = c.id
      returning c.account_id, old.status as previous_status`);
    const previous = row?.previous_status;
    return { accountId: row?.account_id ?? '', reopenedFrom: inbound && (previous === 'snoozed' || previous === 'done') ? previous : null };
  },

  /** Opens the 24-hour window without a message (a referral or postback that is stored as its own row uses the above). */
  async touchInbound(tx: Db, conversationId: string, at: Date) {
    await tx
      .update(conversations)
      .set({ lastInboundAt: sql`greatest(${conversations.lastInboundAt}, ${at})`, updatedAt: new Date() })
      .where(eq(conversations.id, conversationId));
  },

  /**
   * Unsend: the content goes, a tombstone stays. When the unsend arrives before its message, the tombstone is
   * written first and the late message then finds its mid taken and stays deleted.
   */
  async tombstone(tx: Db, values: MessageInsert & { mid: string; deletedAt: Date }) {
    const [row] = await queryRows<{ id: string; inserted: boolean; was_deleted: boolean }>(
      tx,
      sql`with old as (select deleted_at from messages where account_id = ${values.accountId} and mid = ${values.mid} for update)
          insert into messages (account_id, conversation_id, mid, direction, author_type, kind, status, sent_at, deleted_at, text, attachments)
          values (${values.accountId}, ${values.conversationId}, ${values.mid}, ${values.direction}, ${values.authorType},
                  'text', ${values.status}, ${values.sentAt}, ${values.deletedAt}, null, '[]'::jsonb)
          on conflict (account_id, mid) do update set
            deleted_at = coalesce(messages.deleted_at, excluded.deleted_at),
            text = null, attachments = '[]'::jsonb, updated_at = now()
          returning id, (xmax = 0) as inserted, coalesce((select deleted_at is not null from old), false) as was_deleted`,
    );
    if (!row) throw new Error('tombstone upsert returned nothing');
    return row;
  },

  /**
   * An edit with its text. Edits are ordered by Meta's time (`num_edit` is 0-based in some captures and 1-based in
   * others, so it only raises the count): an older edit arriving late changes nothing, and the same edit twice
   * counts once.
   */
  async applyEdit(tx: Db, accountId: string, mid: string, text: string, numEdit: number | undefined, at: Date) {
    const rows = await tx
      .update(messages)
      .set({
        text,
        editCount: sql`greatest(${messages.editCount} + 1, ${numEdit ?? 0})`,
        editedAt: at,
        editTextState: null,
        updatedAt: new Date(),
      })
      .where(and(eq(messages.accountId, accountId), eq(messages.mid, mid), sql`${messages.deletedAt} is null`, editedBefore(at)))
      .returning({ id: messages.id, conversationId: messages.conversationId });
    return rows[0];
  },

  /** An edit without its text (§3.7): counted, and the text marked `pending` until it is read from Meta. */
  async applyEditWithoutText(tx: Db, accountId: string, mid: string, numEdit: number | undefined, at: Date, textIsCurrent: boolean) {
    const rows = await tx
      .update(messages)
      .set({
        editCount: sql`greatest(${messages.editCount} + 1, ${numEdit ?? 0})`,
        editedAt: at,
        editTextState: textIsCurrent ? null : 'pending',
        updatedAt: new Date(),
      })
      .where(and(eq(messages.accountId, accountId), eq(messages.mid, mid), sql`${messages.deletedAt} is null`, editedBefore(at)))
      .returning({ id: messages.id, conversationId: messages.conversationId });
    return rows[0];
  },

  /** The message's current text, as Meta answered a lookup; answers the row when something changed. */
  async setCurrentText(tx: Db, messageId: string, text: string | null) {
    const rows = await tx
      .update(messages)
      .set({ text, editTextState: null, updatedAt: new Date() })
      .where(and(eq(messages.id, messageId), sql`${messages.deletedAt} is null`, sql`(${messages.text} is distinct from ${text} or ${messages.editTextState} is not null)`))
      .returning({ id: messages.id, conversationId: messages.conversationId, sentAt: messages.sentAt });
    return rows[0];
  },

  /** The lookup of an edit's text gave up: the message shows "edited (text unavailable)". */
  async editTextUnavailable(tx: Db, accountId: string, mid: string) {
    const rows = await tx
      .update(messages)
      .set({ editTextState: 'unavailable', updatedAt: new Date() })
      .where(and(eq(messages.accountId, accountId), eq(messages.mid, mid), eq(messages.editTextState, 'pending')))
      .returning({ id: messages.id, conversationId: messages.conversationId });
    return rows[0];
  },

  /** The conversation's preview follows an edit of its last message. */
  async previewEdited(tx: Db, conversationId: string, messageId: string, text: string) {
    await tx
      .update(conversations)
      .set({ lastMessagePreview: text.slice(0, PREVIEW_LENGTH) })
      .where(and(eq(conversations.id, conversationId), eq(conversations.lastMessageId, messageId)));
  },

  async setReaction(
    tx: Db,
    values: { messageId: string; accountId: string; reactor: 'contact' | 'business'; reaction: string | null; emoji: string | null; at: Date },
  ) {
    const rows = await tx
      .insert(messageReactions)
      .values({ ...values, reactedAt: values.at })
      .onConflictDoUpdate({
        target: [messageReactions.messageId, messageReactions.reactor],
        set: { reaction: values.reaction, emoji: values.emoji, reactedAt: values.at },
        setWhere: sql`${messageReactions.reactedAt} <= ${values.at}`,
      })
      .returning({ messageId: messageReactions.messageId });
    return rows.length > 0;
  },

  async removeReaction(tx: Db, messageId: string, reactor: 'contact' | 'business', at: Date) {
    const rows = await tx
      .delete(messageReactions)
      .where(
        and(
          eq(messageReactions.messageId, messageId),
          eq(messageReactions.reactor, reactor),
          lte(messageReactions.reactedAt, at),
        ),
      )
      .returning({ messageId: messageReactions.messageId });
    return rows.length > 0;
  },

  /** The customer has seen everything up to `watermark`: our sent messages up to it become `read`. */
  async applySeen(tx: Db, conversationId: string, watermark: Date, at: Date) {
    await tx
      .update(conversations)
      .set({ seenWatermarkAt: sql`greatest(${conversations.seenWatermarkAt}, ${watermark})`, updatedAt: new Date() })
      .where(eq(conversations.id, conversationId));
    return tx
      .update(messages)
      .set({ status: 'read', readAt: at, updatedAt: new Date() })
      .where(
        and(
          eq(messages.conversationId, conversationId),
          eq(messages.direction, 'outbound'),
          inArray(messages.status, ['sent', 'unknown']),
          lte(messages.sentAt, watermark),
        ),
      )
      .returning({ id: messages.id });
  },

  async contactById(tx: Db, id: string) {
    const [row] = await tx.select().from(contacts).where(eq(contacts.id, id)).limit(1);
    return row;
  },
};

/** The customer wrote again: their snoozed or done conversation is open (a CRM and every teammate hear of it). */
export function reopenedEvent(accountId: string, conversationId: string, previous: 'snoozed' | 'done', at: Date): InboxEvent {
  return {
    type: 'conversation.status_changed',
    accountId,
    conversationId,
    occurredAt: at,
    crm: { status: 'open', previous_status: previous, snoozed_until: null, changed_by: { type: 'contact', id: null, name: null } },
    live: { status: 'open', previous_status: previous, by: null },
  };
}
