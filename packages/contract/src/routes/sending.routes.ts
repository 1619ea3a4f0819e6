import { okSchema } from '../common.ts';
import { apiSendMessageBodySchema, messageSchema, reactionBodySchema, senderActionBodySchema, sendMessageBodySchema } from '../inbox.ts';
import { UPLOAD_TYPES, uploadQuerySchema, uploadSchema } from '../media.ts';
import { defineRoute, uiAndApi } from './define.ts';
import { conversationParams, messageParams } from './params.ts';
import { idParamsSchema } from '../common.ts';

const tag = 'Messages';

const idempotencyKey = {
  name: 'Idempotency-Key',
  description: 'Makes a retried request answer the first one’s result instead of sending twice',
};

const react = uiAndApi('/conversations/:id/messages/:messageId/reactions', 'messages:send', {
  method: 'POST', tag, role: 'conversation:admin',
  summary: 'React to a message', params: messageParams, body: reactionBodySchema, response: { 200: okSchema },
});
const unreact = uiAndApi('/conversations/:id/messages/:messageId/reactions', 'messages:send', {
  method: 'DELETE', tag, role: 'conversation:admin',
  summary: 'Take back one’s reaction', params: messageParams, response: { 200: okSchema },
});
const retry = uiAndApi('/conversations/:id/messages/:messageId/retry', 'messages:send', {
  method: 'POST', tag, role: 'conversation:admin',
  summary: 'Send a failed message again', params: messageParams, response: { 202: messageSchema },
});
const senderAction = uiAndApi('/conversations/:id/actions', 'messages:send', {
  method: 'POST', tag, role: 'conversation:admin',
  summary: 'Show typing, stop typing, or mark seen', params: conversationParams, body: senderActionBodySchema, response: { 200: okSchema },
});

/** Sending to Meta: queued with Meta's rules checked first; attachments are uploaded first. */
export const sendingRoutes = {
  ui: {
    send: defineRoute({
      method: 'POST', path: '/api/v1/ui/conversations/:id/messages', tag, auth: 'session', role: 'conversation:admin',
      summary: 'Reply in a conversation (queued; the answer is the message as queued)',
      params: conversationParams, body: sendMessageBodySchema,
      // checked by the handler after the Idempotency-Key, so a retried request answers the first result
      bodyCheckedByHandler: true,
      headers: [idempotencyKey], response: { 202: messageSchema },
    }),
    react: react.ui,
    unreact: unreact.ui,
    retry: retry.ui,
    senderAction: senderAction.ui,
    upload: defineRoute({
      method: 'POST', path: '/api/v1/ui/uploads', tag, auth: 'session', role: 'session-account:admin',
      summary: 'Store a file to attach to a message: the raw bytes with their own Content-Type',
      consumes: Object.keys(UPLOAD_TYPES), query: uploadQuerySchema, response: { 201: uploadSchema },
    }),
    media: defineRoute({
      method: 'GET', path: '/api/v1/media/:id', tag, auth: 'session', role: 'media:viewer',
      summary: 'A stored attachment or profile picture', params: idParamsSchema,
      produces: { status: 200, contentType: 'application/octet-stream', description: 'The file, with its own Content-Type' },
    }),
  },
  api: {
    send: defineRoute({
      method: 'POST', path: '/api/v1/messages', tag, auth: 'api_key', scope: 'messages:send', role: 'session-account:admin',
      summary: 'Send a message to a conversation, or to a contact by IGSID (queued)',
      body: apiSendMessageBodySchema, headers: [idempotencyKey], response: { 202: messageSchema },
    }),
    react: react.api,
    unreact: unreact.api,
    retry: retry.api,
    senderAction: senderAction.api,
  },
} as const;
