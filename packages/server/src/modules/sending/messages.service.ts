import type { SendMessageBody } from '@threadline/contract';
import type { Db } from '../../db/client.ts';
import {
  attachmentMessage,
  likeHeartMessage,
  quickRepliesMessage,
  textMessage,
  type MessageBody,
} from '../../instagram/graph-client.ts';
import type { Queue } from '../../jobs/queue.ts';
import { recordAll, type InboxEvent, type InboxUnitsOfWork } from '../../events/inbox-events.ts';
import { inboxWrites, previewOf } from '../inbox/inbox-write.repository.ts';
import type { ConversationRow } from '../inbox/inbox-read.repository.ts';
import { messagingWindow, sendPermission } from '../inbox/window.ts';
import { accountErrors } from '../accounts/accounts.errors.ts';
import { messagesErrors } from './messages.errors.ts';
import { jobs } from '../../jobs/registry.ts';
import type { StoredAttachment } from './media/media.repository.ts';
import { createOutboundMessagesRepository } from './outbound-messages.repository.ts';
import { createSendingAccountsRepository } from './sending-accounts.repository.ts';

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
  const repo = createOutboundMessagesRepository(db);
  const accounts = createSendingAccountsRepository(db);

  async function assertAccountCanSend(accountId: string) {
    const status = await accounts.status(accountId);
    if (!status) throw accountErrors.notFound();
    if (status !== 'active') {
      throw messagesErrors.accountCannotSend(status);
    }
  }

  async function resolveAttachment(accountId: string, attachment: NonNullable<SendMessageBody['attachment']>) {
    if ('url' in attachment) return { type: attachment.type, url: attachment.url, mediaId: null };
    const upload = await repo.findUpload(attachment.upload_id, accountId);
    if (!upload || upload.status !== 'stored') throw messagesErrors.uploadNotFound();
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
        throw messagesErrors.windowClosed(closed, deps.humanAgentEnabled);
      }
      let replyToMid: string | null = null;
      if (body.reply_to_message_id) {
        const quotedMid = await repo.midInConversation(body.reply_to_message_id, conv.conversation.id);
        if (!quotedMid) throw messagesErrors.replyTargetNotFound();
        replyToMid = quotedMid;
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
        const row = await repo.insert(
          {
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
          },
          tx,
        );
        if (!row) throw new Error('insert returned no row');
        await inboxWrites.applyMessageToConversation(tx, conv.conversation.id, {
          id: row.id,
          sentAt: at,
          direction: 'outbound',
          preview: previewOf({ text: body.text ?? null, attachments, kind }),
          opensWindow: false,
        });
        await queue.enqueueInTx(tx, jobs.messagesSend, { messageId: row.id });
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
        const row = await repo.requeueFailed(accountId, messageId, tx);
        if (!row) throw messagesErrors.notFailed();
        await queue.enqueueInTx(tx, jobs.messagesSend, { messageId: row.id });
        await recordAll(uow, [{ type: 'message.updated', accountId, conversationId: row.conversationId, messageId: row.id, occurredAt: now() }]);
        return row.id;
      });
    },
  };
}
export type MessagesService = ReturnType<typeof createMessagesService>;
