import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { conversations, messages, type StoredAttachment } from '../../db/schema/index.ts';
import type {
  KnownEvent,
  MessageAttachment,
  MessageEvent,
  PostbackEvent,
  ReferralEvent,
} from '../../instagram/webhook-payload.ts';
import type { InboxEvent } from '../inbox/inbox-events.ts';
import { inboxWrites, previewOf } from '../inbox/inbox-write.repository.ts';

/** What applying one event asks of the rest of the system, inside the same transaction. */
export type ApplyHooks = {
  /** Contacts seen for the first time: fetch their profiles in the background. */
  onNewContacts(tx: Db, contacts: { id: string; accountId: string; igsid: string }[]): Promise<void>;
  /** A new message carrying attachments with URLs: mirror them out of Meta's CDN. */
  onAttachments(tx: Db, message: { id: string; accountId: string; attachments: StoredAttachment[] }): Promise<void>;
  /** A message was unsent: its mirrored media must go. */
  onMessageDeleted(tx: Db, message: { id: string; accountId: string }): Promise<void>;
};

export type ApplyResult = { events: InboxEvent[]; missingReference: string | null };

export function storedAttachments(list: MessageAttachment[]): StoredAttachment[] {
  return list.map((a) => ({
    type: a.type,
    url: a.url ?? null,
    payload: a.payload && typeof a.payload === 'object' && !Array.isArray(a.payload) ? { ...a.payload } : {},
  }));
}

export function messageKind(ev: MessageEvent): string {
  if (ev.replyTo && 'story' in ev.replyTo) return 'story_reply';
  const first = ev.attachments[0];
  if (first) return first.type;
  if (ev.isUnsupported) return 'unsupported';
  return 'text';
}

/** Contact and conversation ids already upserted in this transaction, so a batch touches each pair once. */
export type ApplyCache = Map<string, { contactId: string; conversationId: string }>;
/** The key of a contact in an `ApplyCache`. */
export const applyCacheKey = (accountId: string, igsid: string) => `${accountId}:${igsid}`;
export const createApplyCache = (): ApplyCache => new Map();

/** Applies one normalised Meta event to the inbox of `accountId`; idempotent, so replays change nothing. */
export async function applyEvent(tx: Db, accountId: string, ev: KnownEvent, hooks: ApplyHooks, cache: ApplyCache = createApplyCache()): Promise<ApplyResult> {
  const at = new Date(ev.timestamp);
  const events: InboxEvent[] = [];
  const cacheKey = applyCacheKey(accountId, ev.contactIgsid);
  let known = cache.get(cacheKey);
  if (!known) {
    const contact = await inboxWrites.upsertContact(tx, accountId, ev.contactIgsid);
    const created = await inboxWrites.upsertConversation(tx, accountId, contact.id);
    if (contact.inserted) await hooks.onNewContacts(tx, [{ id: contact.id, accountId, igsid: ev.contactIgsid }]);
    if (created.inserted) events.push({ type: 'conversation.created', accountId, conversationId: created.id, occurredAt: at });
    known = { contactId: contact.id, conversationId: created.id };
    cache.set(cacheKey, known);
  }
  const conversation = { id: known.conversationId };
  const base = { accountId, conversationId: conversation.id, occurredAt: at };

  const storeMessage = async (values: Omit<typeof messages.$inferInsert, 'accountId' | 'conversationId' | 'sentAt'> & { mid: string }, opensWindow: boolean) => {
    const direction = values.direction;
    if (direction === 'outbound') {
      // The echo of a send whose answer was lost (or is still in flight): it confirms that row, it is not a new one.
      const claimed = await inboxWrites.claimPendingOutbound(tx, conversation.id, values.mid, values.text ?? null, values.kind ?? 'text');
      if (claimed) {
        events.push({ ...base, type: 'message.sent', messageId: claimed });
        return;
      }
    }
    const saved = await inboxWrites.insertMessage(tx, { ...values, accountId, conversationId: conversation.id, sentAt: at });
    if (saved.inserted) {
      await inboxWrites.applyMessageToConversation(tx, conversation.id, {
        id: saved.id,
        sentAt: at,
        direction,
        preview: previewOf({ text: values.text ?? null, attachments: values.attachments ?? [], kind: values.kind }),
        opensWindow,
      });
      events.push({ ...base, type: direction === 'inbound' ? 'message.received' : 'message.sent', messageId: saved.id });
      const withUrls = (values.attachments ?? []).filter((a) => a.url);
      if (withUrls.length > 0) await hooks.onAttachments(tx, { id: saved.id, accountId, attachments: values.attachments ?? [] });
    } else if (direction === 'outbound') {
      // The echo of a message Threadline sent: confirm it instead of creating a second one.
      const confirmed = await tx
        .update(messages)
        .set({ status: 'sent', updatedAt: new Date() })
        .where(sql`${messages.id} = ${saved.id} and ${messages.status} in ('queued', 'sending', 'unknown')`)
        .returning({ id: messages.id });
      if (confirmed.length > 0) events.push({ ...base, type: 'message.updated', messageId: saved.id });
    }
  };

  switch (ev.type) {
    case 'message': {
      const attachments = storedAttachments(ev.attachments);
      const inbound = ev.direction === 'inbound';
      await storeMessage(
        {
          mid: ev.mid,
          direction: ev.direction,
          authorType: inbound ? 'contact' : 'instagram_app',
          kind: messageKind(ev),
          text: ev.text ?? null,
          attachments,
          replyToMid: ev.replyTo && 'mid' in ev.replyTo ? ev.replyTo.mid : null,
          replyToStory: ev.replyTo && 'story' in ev.replyTo ? ev.replyTo.story : null,
          quickReplyPayload: ev.quickReply?.payload ?? null,
          referral: ev.referral ? { ...ev.referral } : null,
          isUnsupported: ev.isUnsupported,
          status: inbound ? 'received' : 'sent',
        },
        inbound,
      );
      return { events, missingReference: null };
    }
    case 'postback':
      await storeMessage(postbackValues(ev), true);
      return { events, missingReference: null };
    case 'referral':
      await storeMessage(referralValues(ev), true);
      return { events, missingReference: null };
    case 'message_deleted': {
      const row = await inboxWrites.tombstone(tx, {
        accountId,
        conversationId: conversation.id,
        mid: ev.mid,
        direction: ev.direction,
        authorType: ev.direction === 'inbound' ? 'contact' : 'instagram_app',
        status: ev.direction === 'inbound' ? 'received' : 'sent',
        sentAt: at,
        deletedAt: at,
      });
      if (!row.inserted && !row.was_deleted) {
        await tx
          .update(conversations)
          .set({ lastMessagePreview: 'Message unsent' })
          .where(sql`${conversations.id} = ${conversation.id} and ${conversations.lastMessageId} = ${row.id}`);
        await hooks.onMessageDeleted(tx, { id: row.id, accountId });
        events.push({ ...base, type: 'message.deleted', messageId: row.id });
      }
      return { events, missingReference: null };
    }
    case 'message_edit': {
      const edited = await inboxWrites.applyEdit(tx, accountId, ev.mid, ev.text, ev.numEdit, at);
      if (!edited) {
        const known = await inboxWrites.findMessageByMid(tx, accountId, ev.mid);
        return { events, missingReference: known ? null : `edit of unknown message ${ev.mid}` };
      }
      await tx
        .update(conversations)
        .set({ lastMessagePreview: ev.text.slice(0, 140) })
        .where(sql`${conversations.id} = ${edited.conversationId} and ${conversations.lastMessageId} = ${edited.id}`);
      events.push({ ...base, type: 'message.updated', messageId: edited.id });
      return { events, missingReference: null };
    }
    case 'reaction': {
      const target = await inboxWrites.findMessageByMid(tx, accountId, ev.mid);
      if (!target) return { events, missingReference: `reaction to unknown message ${ev.mid}` };
      const reactor = ev.direction === 'inbound' ? 'contact' : 'business';
      const reaction = { reactor, reaction: ev.reaction ?? null, emoji: ev.emoji ?? null } as const;
      const changed =
        ev.action === 'react'
          ? await inboxWrites.setReaction(tx, { messageId: target.id, accountId, ...reaction, at })
          : await inboxWrites.removeReaction(tx, target.id, reactor, at);
      if (changed) {
        events.push({
          ...base,
          conversationId: target.conversationId,
          type: ev.action === 'react' ? 'reaction.added' : 'reaction.removed',
          messageId: target.id,
          ...reaction,
        });
      }
      return { events, missingReference: null };
    }
    case 'read': {
      const target = await inboxWrites.findMessageByMid(tx, accountId, ev.mid);
      const watermark = target?.sentAt ?? at;
      const updated = await inboxWrites.applySeen(tx, conversation.id, watermark, at);
      for (const m of updated) events.push({ ...base, type: 'message.updated', messageId: m.id });
      return { events, missingReference: null };
    }
  }
}

function postbackValues(ev: PostbackEvent) {
  return {
    mid: ev.mid ?? `postback:${ev.contactIgsid}:${ev.timestamp}`,
    direction: 'inbound' as const,
    authorType: 'contact' as const,
    kind: 'postback',
    text: ev.title ?? ev.payload,
    postback: { title: ev.title, payload: ev.payload },
    referral: ev.referral ? { ...ev.referral } : null,
    status: 'received' as const,
  };
}

function referralValues(ev: ReferralEvent) {
  return {
    mid: `referral:${ev.contactIgsid}:${ev.timestamp}`,
    direction: 'inbound' as const,
    authorType: 'contact' as const,
    kind: 'referral',
    text: null,
    referral: { ...ev.referral },
    status: 'received' as const,
  };
}

/** Conversation row by id (for tests and callers that need the aggregate after applying). */
export async function conversationById(tx: Db, id: string) {
  const [row] = await tx.select().from(conversations).where(eq(conversations.id, id));
  return row;
}
