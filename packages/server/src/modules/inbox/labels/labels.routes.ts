import { z } from 'zod';
import {
  conversationSchema,
  createLabelRequestSchema,
  labelListSchema,
  labelSchema,
  setConversationLabelsRequestSchema,
  updateLabelRequestSchema,
  type Label,
} from '@threadline/contract';
import type { FastifyContextConfig, FastifyRequest } from 'fastify';
import type { App } from '../../../http/server.ts';
import { requireSession } from '../../auth/auth.plugin.ts';
import { authOf } from '../../auth/auth.plugin.ts';
import type { LabelRow } from './labels.repository.ts';
import type { ChangeContext } from '../../audit/audit.repository.ts';
import type { LabelsService } from './labels.service.ts';

export function presentLabel(row: LabelRow): Label {
  return { id: row.id, account_id: row.accountId, name: row.name, color: row.color, created_at: row.createdAt.toISOString() };
}

const accountParams = z.object({ id: z.uuid() });
const labelParams = accountParams.extend({ labelId: z.uuid() });
const conversationParams = z.object({ id: z.uuid() });
const context = (req: FastifyRequest): ChangeContext => ({ ip: req.ip, requestId: req.id });

/** Labels of an account (session), and the labels of a conversation (session, or an API key with conversations:write). */
export async function labelsRoutes(app: App, opts: { labels: LabelsService }) {
  const { labels } = opts;
  const session = { auth: 'session' as const };

  app.get(
    '/api/v1/accounts/:id/labels',
    { config: session, schema: { params: accountParams, response: { 200: labelListSchema } } },
    async (req) => ({ labels: (await labels.list(requireSession(req).userId, req.params.id)).map(presentLabel) }),
  );
  app.post(
    '/api/v1/accounts/:id/labels',
    { config: session, schema: { params: accountParams, body: createLabelRequestSchema, response: { 201: labelSchema } } },
    async (req, reply) => reply.code(201).send(presentLabel(await labels.create(requireSession(req).userId, req.params.id, req.body, context(req)))),
  );
  app.patch(
    '/api/v1/accounts/:id/labels/:labelId',
    { config: session, schema: { params: labelParams, body: updateLabelRequestSchema, response: { 200: labelSchema } } },
    async (req) => presentLabel(await labels.update(requireSession(req).userId, req.params.id, req.params.labelId, req.body, context(req))),
  );
  app.delete(
    '/api/v1/accounts/:id/labels/:labelId',
    { config: session, schema: { params: labelParams, response: { 200: labelSchema } } },
    async (req) => presentLabel(await labels.remove(requireSession(req).userId, req.params.id, req.params.labelId, context(req))),
  );

  // A CRM reads the labels of its key's account, to know which ids to set.
  app.get(
    '/api/v1/labels',
    { config: { auth: 'api_key', apiKeyScope: 'conversations:read' }, schema: { response: { 200: labelListSchema } } },
    async (req) => ({ labels: (await labels.listFor(authOf(req))).map(presentLabel) }),
  );

  const routes: [string, FastifyContextConfig][] = [
    ['/api/v1/ui', session],
    ['/api/v1', { auth: 'api_key', apiKeyScope: 'conversations:write' }],
  ];
  for (const [prefix, config] of routes) {
    app.put(
      `${prefix}/conversations/:id/labels`,
      { config, schema: { params: conversationParams, body: setConversationLabelsRequestSchema, response: { 200: conversationSchema } } },
      async (req) => labels.setOnConversation(authOf(req), req.params.id, req.body.label_ids, context(req)),
    );
  }
}
