import { routes, type Label } from '@threadline/contract';
import type { FastifyRequest } from 'fastify';
import { route } from '../../../http/route.ts';
import type { App } from '../../../http/server.ts';
import { requireSession } from '../../auth/auth.plugin.ts';
import { authOf } from '../../auth/auth.plugin.ts';
import type { LabelRow } from './labels.repository.ts';
import type { ChangeContext } from '../../audit/audit.repository.ts';
import type { LabelsService } from './labels.service.ts';

export function presentLabel(row: LabelRow): Label {
  return { id: row.id, account_id: row.accountId, name: row.name, color: row.color, created_at: row.createdAt.toISOString() };
}

const context = (req: FastifyRequest): ChangeContext => ({ ip: req.ip, requestId: req.id });

/** Labels of an account (session), and the labels of a conversation (session, or an API key with conversations:write). */
export async function labelsRoutes(app: App, opts: { labels: LabelsService }) {
  const { labels } = opts;
  const r = routes.labels;

  route(app, r.list, async (req) => ({ labels: (await labels.list(requireSession(req).userId, req.params.id)).map(presentLabel) }));
  route(app, r.create, async (req, reply) =>
    reply.code(201).send(presentLabel(await labels.create(requireSession(req).userId, req.params.id, req.body, context(req)))),
  );
  route(app, r.update, async (req) =>
    presentLabel(await labels.update(requireSession(req).userId, req.params.id, req.params.labelId, req.body, context(req))),
  );
  route(app, r.remove, async (req) => presentLabel(await labels.remove(requireSession(req).userId, req.params.id, req.params.labelId, context(req))));
  // A CRM reads the labels of its key's account, to know which ids to set.
  route(app, r.listForKey, async (req) => ({ labels: (await labels.listFor(authOf(req))).map(presentLabel) }));
  for (const def of [r.setOnConversation, r.setOnConversationForKey]) {
    route(app, def, async (req) => labels.setOnConversation(authOf(req), req.params.id, req.body.label_ids, context(req)));
  }
}
