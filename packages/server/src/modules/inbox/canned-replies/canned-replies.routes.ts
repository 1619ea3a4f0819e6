import { routes, type CannedReply } from '@threadline/contract';
import type { FastifyRequest } from 'fastify';
import { route } from '../../../http/route.ts';
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

const context = (req: FastifyRequest): ChangeContext => ({ ip: req.ip, requestId: req.id });

/** Canned replies of an account, and one filled in for a conversation (session auth). */
export async function cannedRepliesRoutes(app: App, opts: { cannedReplies: CannedRepliesService }) {
  const { cannedReplies } = opts;
  const r = routes.cannedReplies;

  route(app, r.list, async (req) => ({ canned_replies: (await cannedReplies.list(requireSession(req).userId, req.params.id)).map(presentCannedReply) }));
  route(app, r.create, async (req, reply) =>
    reply.code(201).send(presentCannedReply(await cannedReplies.create(requireSession(req).userId, req.params.id, req.body, context(req)))),
  );
  route(app, r.update, async (req) =>
    presentCannedReply(await cannedReplies.update(requireSession(req).userId, req.params.id, req.params.replyId, req.body, context(req))),
  );
  route(app, r.remove, async (req) =>
    presentCannedReply(await cannedReplies.remove(requireSession(req).userId, req.params.id, req.params.replyId, context(req))),
  );
  route(app, r.fill, async (req) => cannedReplies.fill(requireSession(req), req.params.id, req.params.replyId));
}
