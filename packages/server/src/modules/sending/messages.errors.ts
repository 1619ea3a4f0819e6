import { AppError, badRequest, conflict, notFound } from '../../shared/errors.ts';

/** The errors of sending and of the actions on sent messages, by stable code. */
export const messagesErrors = {
  invalidBody: (problems: string) => badRequest('request.invalid', problems),
  humanAgentFromInbox: () => badRequest('request.invalid', 'human_agent is for API callers; a message from the inbox is always a person’s reply.'),
  noConversationWithContact: () => notFound('conversations.not_found', 'No conversation with this contact on this account.'),
  accountCannotSend: (status: string) =>
    conflict(
      'accounts.reauth_required',
      status === 'reauth_required'
        ? 'Instagram no longer accepts this account’s token: reconnect the account to send messages.'
        : 'This account is disconnected from Instagram.',
    ),
  reconnectFirst: () => conflict('accounts.reauth_required', 'Reconnect this Instagram account first.'),
  uploadNotFound: () => badRequest('messages.upload_not_found', 'No such upload on this account.'),
  windowClosed: (closedAt: string | null, humanAgentEnabled: boolean) =>
    new AppError(
      422,
      'messaging.window_closed',
      closedAt
        ? `The messaging window closed at ${closedAt}: Instagram only allows replies within 24 hours of the customer's last message${humanAgentEnabled ? ' (7 days for a person’s reply)' : ''}.`
        : 'This customer has not written to the account yet: Instagram only allows replies to people who wrote first.',
      { details: { closed_at: closedAt } },
    ),
  replyTargetNotFound: () => badRequest('messages.reply_target_not_found', 'The message to reply to is not in this conversation.'),
  notFailed: () => conflict('messages.not_failed', 'Only a failed message can be retried.'),
  messageNotFound: () => notFound('messages.not_found', 'No such message in this conversation.'),
  notSent: () => badRequest('messages.not_sent', 'This message has not reached Instagram yet.'),
  rateLimited: () => new AppError(429, 'messaging.rate_limited', 'Too many calls for this account right now.', { headers: { 'retry-after': '1' } }),
  /** Meta refused a reaction or typing indicator: `window_closed` (422) or another kind (502). */
  instagramRefused: (kind: string, detail: string) => new AppError(kind === 'window_closed' ? 422 : 502, `messaging.${kind}`, `Instagram refused: ${detail}`),
  idempotencyInvalidKey: () => badRequest('idempotency.invalid_key', 'Idempotency-Key must be 1 to 255 visible ASCII characters.'),
  idempotencyInProgress: () => conflict('idempotency.in_progress', 'A request with this Idempotency-Key is still being processed.'),
  idempotencyMismatch: () => conflict('idempotency.mismatch', 'This Idempotency-Key was already used with a different request body.'),
};
