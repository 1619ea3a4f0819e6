import { z } from 'zod';
import {
  conversationListQuerySchema,
  conversationListSchema,
  conversationSchema,
  messageListQuerySchema,
  messageListSchema,
  unreadCountsSchema,
} from '@threadline/contract';
import type { FastifyRequest } from 'fastify';
import type { App } from '../../http/server.ts';
import type { RequestAuth } from '../auth/auth.plugin.ts';
import type { InboxService } from './inbox.service.ts';
import { authErrors } from '../auth/auth.errors.ts';

const idParams = z.object({ id: z.uuid() });

export function authOf(req: FastifyRequest): RequestAuth {
  if (!req.auth) throw authErrors.missingToken();
  return req.auth;
}

/** Reading the inbox: `/api/v1/ui/…` for the web app (session), `/api/v1/…` for a CRM (API key, conversations:read). */
export async function inboxRoutes(app: App, opts: { inbox: InboxService }) {
  const { inbox } = opts;
  for (const [prefix, config] of [
    ['/api/v1/ui', { auth: 'session' as const }],
    ['/api/v1', { auth: 'api_key' as const, apiKeyScope: 'conversations:read' as const }],
  ] as const) {
    app.get(
      `${prefix}/conversations`,
      { config, schema: { querystring: conversationListQuerySchema, response: { 200: conversationListSchema } } },
      async (req) => inbox.listConversations(authOf(req), req.query),
    );
    app.get(
      `${prefix}/conversations/:id`,
      { config, schema: { params: idParams, response: { 200: conversationSchema } } },
      async (req) => inbox.getConversation(authOf(req), req.params.id),
    );
    app.get(
      `${prefix}/conversations/:id/messages`,
      { config, schema: { params: idParams, querystring: messageListQuerySchema, response: { 200: messageListSchema } } },
      async (req) => inbox.listMessages(authOf(req), req.params.id, req.query),
    );
  }
  app.get(
    '/api/v1/ui/unread',
    { config: { auth: 'session' }, schema: { response: { 200: unreadCountsSchema } } },
    async (req) => inbox.unreadCounts(authOf(req)),
  );
  app.post(
    '/api/v1/ui/conversations/:id/read',
    { config: { auth: 'session' }, schema: { params: idParams, response: { 200: conversationSchema } } },
    async (req) => inbox.markRead(authOf(req), req.params.id),
  );
}
