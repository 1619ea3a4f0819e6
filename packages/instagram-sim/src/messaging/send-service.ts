import {
  INSTAGRAM_HUMAN_AGENT_WINDOW_MS,
  INSTAGRAM_PRIVATE_REPLY_WINDOW_MS,
  INSTAGRAM_STANDARD_WINDOW_MS,
} from '@threadline/contract';
import type { SimContext } from '../context.ts';
import { newOpaqueId } from '../ids.ts';
import { GraphError, graphError } from '../platform/errors.ts';
import type { SimAccount, SimConversation, SimToken } from '../state/schema.ts';
import { messageEvent } from '../webhooks/events.ts';
import { ensureConversation, recordMessage } from './conversations.ts';
import type { MessageSend, SendRequest } from './send-request.ts';

export type SendResult = { recipient_id: string; message_id?: string };

function checkAccountMayMessage(token: SimToken, account: SimAccount): void {
  if (!token.scopes.includes('instagram_business_manage_messages')) throw graphError('missingPermission');
  if (account.messagingAccess === 'disabled_by_owner') throw graphError('ownerDisabledMessages');
  if (account.messagingAccess === 'blocked') throw graphError('accountMessagingBlocked');
  if (account.messagingAccess === 'restricted') throw graphError('accountTemporarilyRestricted');
}

function windowError(ctx: SimContext): GraphError {
  return graphError(ctx.state.data.variants.windowErrorSubcode === 2018278 ? 'outsideWindowLegacy' : 'outsideWindow', {
    userMessage: 'This message was sent outside the allowed messaging window.',
  });
}

/** Finds the thread of an IGSID recipient and checks the 24-hour (or 7-day HUMAN_AGENT) window (§4). */
function threadOf(ctx: SimContext, account: SimAccount, recipientId: string, tag: 'HUMAN_AGENT' | null, appId: string): SimConversation {
  const customer = ctx.state.customer(recipientId);
  if (!customer) throw graphError('noMatchingInstagramUser');
  if (customer.blockedAccounts.includes(account.igId)) throw graphError('recipientUnavailable');
  const conversation = ctx.state.conversationOf(account.igId, customer.igsid);
  if (tag === 'HUMAN_AGENT' && !ctx.state.app(appId)?.humanAgent)
    throw graphError('permissionDenied', { message: '(#10) The HUMAN_AGENT tag requires the Human Agent feature' });
  const last = conversation?.lastCustomerMessageAt ?? null;
  const window = tag === 'HUMAN_AGENT' ? INSTAGRAM_HUMAN_AGENT_WINDOW_MS : INSTAGRAM_STANDARD_WINDOW_MS;
  if (!conversation || last === null || ctx.clock.now() - last > window) throw windowError(ctx);
  return conversation;
}

/** A private reply: to a comment on the account's media, once, within 7 days (§4). */
function privateReplyThread(ctx: SimContext, account: SimAccount, commentId: string): SimConversation {
  const comment = ctx.state.data.comments.find((c) => c.id === commentId && c.accountId === account.igId);
  if (!comment) throw graphError('objectNotFound');
  if (ctx.clock.now() - comment.createdAt > INSTAGRAM_PRIVATE_REPLY_WINDOW_MS) throw windowError(ctx);
  if (comment.privateReplied)
    throw graphError('permissionDenied', { message: '(#10) A private reply has already been sent to this comment' });
  comment.privateReplied = true;
  return ensureConversation(ctx.state, ctx.clock, account.igId, comment.customerId);
}

function checkMessageRefs(ctx: SimContext, account: SimAccount, conversation: SimConversation, send: MessageSend): void {
  if (send.mediaShareId !== null && !account.mediaIds.includes(send.mediaShareId))
    throw graphError('invalidMessageData', { message: 'Invalid message data: the app user does not own this media' });
  if (send.replyTo !== null && ctx.state.message(send.replyTo)?.conversationId !== conversation.id)
    throw graphError('invalidMessageData', { message: 'Invalid message data: reply_to mid is not in this thread' });
}

/** Sends a parsed Send API call; `raw` is the body as the app sent it, kept for `GET /_sim/outbox`. */
export function send(ctx: SimContext, token: SimToken, request: SendRequest, raw: Record<string, unknown>): SendResult {
  const { state, clock } = ctx;
  const account = state.account(token.accountId);
  if (!account) throw graphError('invalidToken');
  checkAccountMayMessage(token, account);
  const tag = request.kind === 'message' ? request.tag : null;
  const conversation =
    'commentId' in request.recipient
      ? privateReplyThread(ctx, account, request.recipient.commentId)
      : threadOf(ctx, account, request.recipient.id, tag, token.appId);
  const recipientId = conversation.customerId;
  const { access_token: _token, ...body } = raw;
  if (request.kind === 'sender_action') {
    if (request.messageId !== null && state.message(request.messageId)?.conversationId !== conversation.id)
      throw graphError('invalidMessageData', { message: 'Invalid message data: message_id is not in this thread' });
    state.data.outbox.push({
      id: newOpaqueId('out'), appId: token.appId, accountId: account.igId, recipientId,
      kind: 'sender_action', body, mid: null, at: clock.now(),
    });
    return { recipient_id: recipientId };
  }
  checkMessageRefs(ctx, account, conversation, request);
  const message = recordMessage(state, clock, {
    conversation, direction: 'outbound', source: 'api', text: request.text,
    attachments: request.attachments, sentByAppId: token.appId,
  });
  state.data.outbox.push({
    id: newOpaqueId('out'), appId: token.appId, accountId: account.igId, recipientId,
    kind: 'message', body, mid: message.mid, at: clock.now(),
  });
  const replyTo = request.replyTo === null ? undefined : { mid: request.replyTo };
  ctx.webhooks.emit(account.igId, 'message_echoes', messageEvent(message, state.data.variants, { replyTo }));
  return { recipient_id: recipientId, message_id: message.mid };
}
