import type { Db } from '../../db/client.ts';
import type { MessageInsert, StoredAttachment, WaitingData, WaitingKind } from './ingest.repository.ts';
import type {
  KnownEvent,
  MessageAttachment,
  MessageEvent,
  PostbackEvent,
  ReferralEvent,
} from '../../instagram/webhook-payload.ts';
import type { InboxEvent } from '../../events/inbox-events.ts';
import { inboxWrites, previewOf, reopenedEvent } from '../inbox/inbox-write.repository.ts';
import { applyWaiting, editMessage, reactTo, seeUpTo, type TextSource } from './ingest-message-events.ts';
import { waitingWrites, type ArrivedMessage } from './waiting-events.repository.ts';

/** What applying one event asks of the rest of the system, inside the same transaction. */
export type ApplyHooks = {
  /** Contacts seen for the first time: fetch their profiles in the background. */
  onNewContacts(tx: Db, contacts: { id: string; accountId: string; igsid: string }[]): Promise<void>;
  /** A new message carrying attachments with URLs: mirror them out of Meta's CDN. */
  onAttachments(tx: Db, message: { id: string; accountId: string; attachments: StoredAttachment[] }): Promise<void>;
  /** A message was unsent: its mirrored media must go. */
  onMessageDeleted(tx: Db, message: { id: string; accountId: string }): Promise<void>;
  /** An edit came without its text (§3.7): read the message from Meta (and store it if it is unknown). */
  onEditWithoutText(tx: Db, message: { accountId: string; mid: string }): Promise<void>;
  /**
   * Conversations that a customer opened (new) or opened again (reopened) in this batch, of accounts that
   * auto-assign: the round robin gives the unassigned ones to a member. Answers the events of what it did.
   */
  onConversationsOpened?(tx: Db, opened: { accountId: string; conversationId: string; limit: number }[]): Promise<InboxEvent[]>;
};

/** `applied`: the inbox shows it (or already did); `waiting`: kept until its message arrives (§3.7). */
export type ApplyResult = { events: InboxEvent[]; outcome: 'applied' | 'waiting' };

export type ApplyOptions = {
  /** The raw webhook event the item came from, recorded with what waits for a message. */
  webhookEventId?: number;
  /** The event's text was read from Meta just now (reconciliation, a lookup): edits waiting for it need no lookup. */
  textIsCurrent?: boolean;
};

export function storedAttachments(list: MessageAttachment[]): StoredAttachment[] {
  return list.map((a) => ({
    type: a.type,
    url: a.url ?? null,
    payload: a.payload && typeof a.payload === 'object' && !Array.isArray(a.payload) ? { ...a.payload } : {},
  }));
}

export function messageKind(ev: MessageEvent): string {
  if (ev.replyTo && 'story' in ev.replyTo) return 'story_reply';
  if (ev.isUnsupported) return 'unsupported';
  const first = ev.attachments[0];
  if (first) return first.type;
  return 'text';
}

/** Contact and conversation ids already upserted in this transaction, so a batch touches each pair once. */
export type ApplyCache = Map<string, { contactId: string; conversationId: string }>;
/** The key of a contact in an `ApplyCache`. */
export const applyCacheKey = (accountId: string, igsid: string) => `${accountId}:${igsid}`;
export const createApplyCache = (): ApplyCache => new Map();

async function conversationFor(tx: Db, accountId: string, igsid: string, at: Date, hooks: ApplyHooks, cache: ApplyCache, events: InboxEvent[]) {
  const key = applyCacheKey(accountId, igsid);
  const cached = cache.get(key);
  if (cached) return cached.conversationId;
  const contact = await inboxWrites.upsertContact(tx, accountId, igsid);
  const created = await inboxWrites.upsertConversation(tx, accountId, contact.id);
  if (contact.inserted) await hooks.onNewContacts(tx, [{ id: contact.id, accountId, igsid }]);
  if (created.inserted) events.push({ type: 'conversation.created', accountId, conversationId: created.id, occurredAt: at });
  cache.set(key, { contactId: contact.id, conversationId: created.id });
  return created.id;
}

/**
 * Applies one normalised Meta event to the inbox of `accountId`; idempotent, so replays change nothing. An event
 * about a message Threadline does not have is kept waiting for it, never retried (§3.7).
 */
export async function applyEvent(
  tx: Db,
  accountId: string,
  ev: KnownEvent,
  hooks: ApplyHooks,
  cache: ApplyCache = createApplyCache(),
  opts: ApplyOptions = {},
): Promise<ApplyResult> {
  const at = new Date(ev.timestamp);
  const events: InboxEvent[] = [];
  const applied = (): ApplyResult => ({ events, outcome: 'applied' });
  const lookupText = hooks.onEditWithoutText;
  const textSource: TextSource = opts.textIsCurrent ? { textIsCurrent: true } : { textIsCurrent: false, lookupText };
  const wait = async (mid: string, kind: WaitingKind, actor: 'contact' | 'business', conversationId: string | null, data: WaitingData): Promise<ApplyResult> => {
    await waitingWrites.insert(tx, {
      accountId, mid, kind, actor, conversationId, data, occurredAt: at,
      webhookEventId: opts.webhookEventId ?? null, itemPath: opts.webhookEventId === undefined ? null : ev.path,
    });
    return { events, outcome: 'waiting' };
  };
  const actor = ev.direction === 'inbound' ? 'contact' : 'business';

  if (ev.type === 'read') {
    if (actor === 'business') return applied(); // someone at the business read the customer's message: nothing of ours changes
    const target = await inboxWrites.findMessageByMid(tx, accountId, ev.mid);
    if (!target) {
      const conversationId = ev.contactIgsid === null ? null : await conversationFor(tx, accountId, ev.contactIgsid, at, hooks, cache, events);
      return wait(ev.mid, 'seen', actor, conversationId, {});
    }
    events.push(...(await seeUpTo(tx, { ...target, mid: ev.mid }, at)));
    return applied();
  }

  const conversationId = await conversationFor(tx, accountId, ev.contactIgsid, at, hooks, cache, events);
  const base = { accountId, conversationId, occurredAt: at };

  const storeMessage = async (values: Omit<MessageInsert, 'accountId' | 'conversationId' | 'sentAt'> & { mid: string }, opensWindow: boolean) => {
    const direction = values.direction;
    const arrived = (id: string): ArrivedMessage => ({ id, accountId, mid: values.mid, conversationId, sentAt: at });
    if (direction === 'outbound') {
      // The echo of a send whose answer was lost (or is still in flight): it confirms that row, it is not a new one.
      const claimed = await inboxWrites.claimPendingOutbound(tx, conversationId, values.mid, values.text ?? null, values.kind ?? 'text');
      if (claimed) {
        events.push({ ...base, type: 'message.sent', messageId: claimed });
        events.push(...(await applyWaiting(tx, [arrived(claimed)], textSource)));
        return;
      }
    }
    const saved = await inboxWrites.insertMessage(tx, { ...values, accountId, conversationId, sentAt: at });
    if (saved.inserted) {
      const folded = await inboxWrites.applyMessageToConversation(tx, conversationId, {
        id: saved.id,
        sentAt: at,
        direction,
        preview: previewOf({ text: values.text ?? null, attachments: values.attachments ?? [], kind: values.kind }),
        opensWindow,
      });
      events.push({ ...base, type: direction === 'inbound' ? 'message.received' : 'message.sent', messageId: saved.id });
      if (folded.reopenedFrom) events.push(reopenedEvent(accountId, conversationId, folded.reopenedFrom, at));
      const withUrls = (values.attachments ?? []).filter((a) => a.url);
      if (withUrls.length > 0) await hooks.onAttachments(tx, { id: saved.id, accountId, attachments: values.attachments ?? [] });
      events.push(...(await applyWaiting(tx, [arrived(saved.id)], textSource)));
    } else if (direction === 'outbound') {
      // The echo of a message Threadline sent: confirm it instead of creating a second one.
      const confirmed = await inboxWrites.confirmSent(tx, saved.id);
      if (confirmed) events.push({ ...base, type: 'message.updated', messageId: saved.id });
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
      return applied();
    }
    case 'postback':
      await storeMessage(postbackValues(ev), true);
      return applied();
    case 'referral':
      await storeMessage(referralValues(ev), true);
      return applied();
    case 'message_deleted': {
      // A tombstone: when the unsend comes first, the late message finds its mid taken and stays deleted. What waited
      // for that mid is settled on the tombstone now (the late message will not be inserted to settle it): a reaction
      // lands on it as if it had come after the unsend, an edit changes nothing, a seen receipt counts up to it.
      const row = await inboxWrites.tombstone(tx, {
        accountId,
        conversationId,
        mid: ev.mid,
        direction: ev.direction,
        authorType: ev.direction === 'inbound' ? 'contact' : 'instagram_app',
        status: ev.direction === 'inbound' ? 'received' : 'sent',
        sentAt: at,
        deletedAt: at,
      });
      if (row.inserted) {
        events.push(...(await applyWaiting(tx, [{ id: row.id, accountId, mid: ev.mid, conversationId, sentAt: at }], textSource)));
      } else if (!row.was_deleted) {
        await inboxWrites.previewUnsent(tx, conversationId, row.id);
        await hooks.onMessageDeleted(tx, { id: row.id, accountId });
        events.push({ ...base, type: 'message.deleted', messageId: row.id });
      }
      return applied();
    }
    case 'message_edit': {
      const data = { ...(ev.text === undefined ? {} : { text: ev.text }), ...(ev.numEdit === undefined ? {} : { numEdit: ev.numEdit }) };
      const edited = await editMessage(tx, { accountId, mid: ev.mid }, data, at, textSource);
      if (edited) {
        events.push(...edited);
        return applied();
      }
      // unknown: without its text, the lookup also stores the message it finds
      if (ev.text === undefined) await lookupText(tx, { accountId, mid: ev.mid });
      return wait(ev.mid, 'edit', actor, conversationId, data);
    }
    case 'reaction': {
      const data: WaitingData = { action: ev.action, reaction: ev.reaction ?? null, emoji: ev.emoji ?? null };
      const target = await inboxWrites.findMessageByMid(tx, accountId, ev.mid);
      if (!target) return wait(ev.mid, 'reaction', actor, conversationId, data);
      events.push(...(await reactTo(tx, { ...target, mid: ev.mid }, actor, data, at)));
      return applied();
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
