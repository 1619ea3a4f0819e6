import { idParamsSchema } from '../common.ts';
import {
  conversationListQuerySchema,
  conversationListSchema,
  conversationSchema,
  inboxScopeSchema,
  messageListQuerySchema,
  messageListSchema,
  unreadCountsSchema,
} from '../inbox.ts';
import { contactPanelSchema } from '../contacts.ts';
import { z } from 'zod';
import { defineRoute, uiAndApi } from './define.ts';
import { conversationParams } from './params.ts';

const tag = 'Conversations';

const listConversations = uiAndApi('/conversations', 'conversations:read', {
  method: 'GET', tag, role: 'session-account:viewer',
  summary: 'Conversations, newest activity first (filters, search, cursor pages)',
  query: conversationListQuerySchema, response: { 200: conversationListSchema },
});
const getConversation = uiAndApi('/conversations/:id', 'conversations:read', {
  method: 'GET', tag, role: 'conversation:viewer',
  summary: 'One conversation', params: conversationParams, response: { 200: conversationSchema },
});
const listMessages = uiAndApi('/conversations/:id/messages', 'conversations:read', {
  method: 'GET', tag, role: 'conversation:viewer',
  summary: 'A conversation’s messages, newest first (cursor pages)',
  params: conversationParams, query: messageListQuerySchema, response: { 200: messageListSchema },
});

/** Reading the inbox: `ui` for the web app (a session), `api` for a CRM (an API key with `conversations:read`). */
export const inboxRoutes = {
  ui: {
    listConversations: listConversations.ui,
    getConversation: getConversation.ui,
    listMessages: listMessages.ui,
    unread: defineRoute({
      method: 'GET', path: '/api/v1/ui/unread', tag, auth: 'session', role: 'user',
      summary: 'How many conversations have unread messages, per account', response: { 200: unreadCountsSchema },
    }),
    markRead: defineRoute({
      method: 'POST', path: '/api/v1/ui/conversations/:id/read', tag, auth: 'session', role: 'conversation:viewer',
      summary: 'Mark a conversation read', params: conversationParams, response: { 200: conversationSchema },
    }),
    contact: defineRoute({
      method: 'GET', path: '/api/v1/ui/conversations/:id/contact', tag, auth: 'session', role: 'conversation:viewer',
      summary: 'The contact panel of a conversation', params: idParamsSchema, response: { 200: contactPanelSchema },
    }),
    events: defineRoute({
      method: 'GET', path: '/api/v1/ui/events', tag: 'Live updates', auth: 'session', role: 'session-account:viewer',
      summary: 'Live updates (server-sent events) of the session’s account, or of all of one’s accounts',
      description: 'A reconnecting client sends `Last-Event-ID` (or `last_event_id`) and gets what it missed, without duplicates.',
      query: z.object({ last_event_id: z.coerce.number().int().min(0).optional(), scope: inboxScopeSchema.default('account') }),
      produces: { status: 200, contentType: 'text/event-stream', description: 'Server-sent events; each `data` is a realtime event' },
      headers: [{ name: 'Last-Event-ID', description: 'the id of the last event received, to resume after it' }],
    }),
  },
  api: {
    listConversations: listConversations.api,
    getConversation: getConversation.api,
    listMessages: listMessages.api,
  },
} as const;
