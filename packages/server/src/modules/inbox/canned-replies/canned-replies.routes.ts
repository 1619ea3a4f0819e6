import { z } from 'zod';
import {
  cannedReplyListSchema,
  cannedReplySchema,
  createCannedReplyRequestSchema,
  filledCannedReplySchema,
  updateCannedReplyRequestSchema,
  type CannedReply,
} from '@threadline/contract';
import type { FastifyRequest } from 'fastify';
import type { App } from '../../../http/server.ts';
import { requireSession } from '../../auth/auth.plugin.ts';
import type { ChangeContext } from '../../audit/audit.repository.ts';
import type { CannedRepliesService } from './canned-replies.service.ts';
import type { CannedReplyRow } from './canned-replies.repository.ts';

export function presentCannedReply(row: CannedReplyRow): CannedReply {
  return {
    id: row.id,
    account_id: row.accountId,
    shortcut: row.shortcut,
    text: row.text,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

const accountParams = z.object({ id: z.uuid() });
const replyParams = accountParams.extend({ replyId: z.uuid() });
const context = (req: FastifyRequest): ChangeContext => ({ ip: req.ip, requestId: req.id });

/** Canned replies of an account, and one filled in for a conversation (session auth). */
export async function cannedRepliesRoutes(app: App, opts: { cannedReplies: CannedRepliesService }) {
  const { cannedReplies } = opts;
  const config = { auth: 'session' as const };

  app.get(
    '/api/v1/accounts/:id/canned-replies',
    { config, schema: { params: accountParams, response: { 200: cannedReplyListSchema } } },
    async (req) => ({ canned_replies: (await cannedReplies.list(requireSession(req).userId, req.params.id)).map(presentCannedReply) }),
  );
  app.post(
    '/api/v1/accounts/:id/canned-replies',
    { config, schema: { params: accountParams, body: createCannedReplyRequestSchema, response: { 201: cannedReplySchema } } },
    async (req, reply) =>
      reply.code(201).send(presentCannedReply(await cannedReplies.create(requireSession(req).userId, req.params.id, req.body, context(req)))),
  );
  app.patch(
    '/api/v1/accounts/:id/canned-replies/:replyId',
    { config, schema: { params: replyParams, body: updateCannedReplyRequestSchema, response: { 200: cannedReplySchema } } },
    async (req) => presentCannedReply(await cannedReplies.update(requireSession(req).userId, req.params.id, req.params.replyId, req.body, context(req))),
  );
  app.delete(
    '/api/v1/accounts/:id/canned-replies/:replyId',
    { config, schema: { params: replyParams, response: { 200: cannedReplySchema } } },
    async (req) => presentCannedReply(await cannedReplies.remove(requireSession(req).userId, req.params.id, req.params.replyId, context(req))),
  );
  app.post(
    '/api/v1/ui/conversations/:id/canned-replies/:replyId/fill',
    { config, schema: { params: z.object({ id: z.uuid(), replyId: z.uuid() }), response: { 200: filledCannedReplySchema } } },
    async (req) => cannedReplies.fill(requireSession(req), req.params.id, req.params.replyId),
  );
}
