import { and, eq } from 'drizzle-orm';
import type { SendMessageBody } from '@threadline/contract';
import type { Db } from '../../db/client.ts';
import { accounts, mediaObjects, messages, type StoredAttachment } from '../../db/schema/index.ts';
import {
  attachmentMessage,
  likeHeartMessage,
  quickRepliesMessage,
  textMessage,
  type MessageBody,
} from '../../instagram/graph-client.ts';
import type { Queue } from '../../jobs/queue.ts';
import { AppError, badRequest, conflict, notFound } from '../../shared/errors.ts';
import { recordAll, type InboxEvent, type InboxUnitsOfWork } from '../inbox/inbox-events.ts';
import { inboxWrites, previewOf } from '../inbox/inbox-write.repository.ts';
import type { ConversationRow } from '../inbox/inbox-read.repository.ts';
import { messagingWindow, sendPermission } from '../inbox/window.ts';

export type SendAuthor = { type: 'user'; userId: string; username: string } | { type: 'api_key'; keyId: string };

export type MessagesServiceDeps = {
  db: Db;
  queue: Queue;
  units: InboxUnitsOfWork;
  humanAgentEnabled: boolean;
  /** A URL Meta can fetch for an uploaded file. */
  publicUploadUrl: (mediaId: string) => string;
  now: () => Date;
  /** A person replied: an unassigned conversation becomes theirs (in the reply's transaction); answers its events. */
  onUserReply?: (tx: Db, accountId: string, conversationId: string, user: { id: string; username: string }, at: Date) => Promise<InboxEvent[]>;
};

/** Queues an outbound message: every Meta rule is checked first, then the row and its send job commit together. */
export function createMessagesService(deps: MessagesServiceDeps) {
  const { db, queue, units, now } = deps;

  async function assertAccountCanSend(accountId: string) {
    const [account] = await db.select({ status: accounts.status }).from(accounts).where(eq(accounts.id, accountId));
    if (!account) throw notFound('accounts.not_found', 'No such account.');
    if (account.status !== 'active') {
      throw conflict(
        'accounts.reauth_required',
        account.status === 'reauth_required'
          ? 'Instagram no longer accepts this account’s token: reconnect the account to send messages.'
          : 'This account is disconnected from Instagram.',
      );
    }
  }

  async function resolveAttachment(accountId: string, attachment: NonNullable<SendMessageBody['attachment']>) {
    if ('url' in attachment) return { type: attachment.type, url: attachment.url, mediaId: null };
    const [upload] = await db
      .select()
      .from(mediaObjects)
      .where(and(eq(mediaObjects.id, attachment.upload_id), eq(mediaObjects.accountId, accountId), eq(mediaObjects.source, 'upload')));
    if (!upload || upload.status !== 'stored') throw badRequest('messages.upload_not_found', 'No such upload on this account.');
    return { type: attachment.type, url: deps.publicUploadUrl(upload.id), mediaId: upload.id };
  }

  return {
    async send(conv: ConversationRow, author: SendAuthor, body: SendMessageBody) {
      const accountId = conv.conversation.accountId;
      await assertAccountCanSend(accountId);
      const at = now();
      const writtenByPerson = author.type === 'user' || body.human_agent === true;
      const window = messagingWindow(conv.conversation.lastInboundAt, at, deps.humanAgentEnabled);
      const permission = sendPermission(window, writtenByPerson);
      if (!permission.ok) {
        const closed = permission.closedAt?.toISOString() ?? null;
        throw new AppError(
          422,
          'messaging.window_closed',
          closed
            ? `The messaging window closed at ${closed}: Instagram only allows replies within 24 hours of the customer's last message${deps.humanAgentEnabled ? ' (7 days for a person’s reply)' : ''}.`
            : 'This customer has not written to the account yet: Instagram only allows replies to people who wrote first.',
          { details: { closed_at: closed } },
        );
      }
      let replyToMid: string | null = null;
      if (body.reply_to_message_id) {
        const [quoted] = await db
          .select({ mid: messages.mid })
          .from(messages)
          .where(and(eq(messages.id, body.reply_to_message_id), eq(messages.conversationId, conv.conversation.id)));
        if (!quoted?.mid) throw badRequest('messages.reply_target_not_found', 'The message to reply to is not in this conversation.');
        replyToMid = quoted.mid;
      }
      const options = { humanAgent: permission.humanAgent, ...(replyToMid ? { replyTo: replyToMid } : {}) };
      const to = conv.contact.igsid;
      let request: MessageBody;
      let attachments: StoredAttachment[] = [];
      let kind = 'text';
      if (body.text !== undefined) {
        request = body.quick_replies ? quickRepliesMessage(to, body.text, body.quick_replies, options) : textMessage(to, body.text, options);
      } else if (body.attachment) {
        const a = await resolveAttachment(accountId, body.attachment);
        request = attachmentMessage(to, a.type, a.url, options);
        attachments = [{ type: a.type, url: 'url' in body.attachment ? a.url : null, mediaId: a.mediaId }];
        kind = a.type;
      } else {
        request = likeHeartMessage(to, options);
        attachments = [{ type: 'like_heart' }];
        kind = 'like_heart';
      }

      const id = await units.run(async (uow) => {
        const { tx } = uow;
        const [row] = await tx
          .insert(messages)
          .values({
            accountId,
            conversationId: conv.conversation.id,
            direction: 'outbound',
            authorType: author.type,
            authorUserId: author.type === 'user' ? author.userId : null,
            authorApiKeyId: author.type === 'api_key' ? author.keyId : null,
            kind,
            text: body.text ?? null,
            attachments,
            replyToMid,
            status: 'queued',
            humanAgent: permission.humanAgent,
            request: { ...request },
            sentAt: at,
          })
          .returning({ id: messages.id });
        if (!row) throw new Error('insert returned no row');
        await inboxWrites.applyMessageToConversation(tx, conv.conversation.id, {
          id: row.id,
          sentAt: at,
          direction: 'outbound',
          preview: previewOf({ text: body.text ?? null, attachments, kind }),
          opensWindow: false,
        });
        await queue.sendInTx(tx, 'messages.send', { messageId: row.id });
        const assigned =
          author.type === 'user' && deps.onUserReply && !conv.conversation.assigneeUserId
            ? await deps.onUserReply(tx, accountId, conv.conversation.id, { id: author.userId, username: author.username }, at)
            : [];
        await recordAll(uow, [{ type: 'message.queued', accountId, conversationId: conv.conversation.id, messageId: row.id, occurredAt: at }, ...assigned]);
        return row.id;
      });
      return id;
    },

    /** A failed message goes back to the queue (it was never delivered, so this cannot send it twice). */
    async retry(accountId: string, messageId: string) {
      await assertAccountCanSend(accountId);
      return units.run(async (uow) => {
        const { tx } = uow;
        const [row] = await tx
          .update(messages)
          .set({ status: 'queued', errorCode: null, errorSubcode: null, errorMessage: null, updatedAt: new Date() })
          .where(and(eq(messages.id, messageId), eq(messages.accountId, accountId), eq(messages.status, 'failed')))
          .returning({ id: messages.id, conversationId: messages.conversationId });
        if (!row) throw conflict('messages.not_failed', 'Only a failed message can be retried.');
        await queue.sendInTx(tx, 'messages.send', { messageId: row.id });
        await recordAll(uow, [{ type: 'message.updated', accountId, conversationId: row.conversationId, messageId: row.id, occurredAt: now() }]);
        return row.id;
      });
    },
  };
}
export type MessagesService = ReturnType<typeof createMessagesService>;
