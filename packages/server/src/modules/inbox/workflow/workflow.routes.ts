import { routes } from '@threadline/contract';
import type { FastifyRequest } from 'fastify';
import { route } from '../../../http/route.ts';
import type { App } from '../../../http/server.ts';
import { requireSession } from '../../auth/auth.plugin.ts';
import { authOf } from '../../auth/auth.plugin.ts';
import type { NotesService } from './notes.service.ts';
import type { RequestMeta, WorkflowService } from './workflow.service.ts';

const metaOf = (req: FastifyRequest): RequestMeta => ({ ip: req.ip, requestId: req.id });

/**
 * How a team works a conversation: status, assignee and notes for the web app (`/api/v1/ui/…`, a session: admins
 * and owners change status and assignee, every member writes notes) and for a CRM (`/api/v1/…`, an API key with
 * `conversations:write`; reading notes needs `conversations:read`). Presence, notifications and the account's
 * auto-assignment are the web app's only.
 */
export async function workflowRoutes(app: App, opts: { workflow: WorkflowService; notes: NotesService }) {
  const { workflow, notes } = opts;
  const { ui, api } = routes.workflow;
  for (const def of [ui.setStatus, api.setStatus]) {
    route(app, def, async (req) => workflow.setStatus(authOf(req), req.params.id, req.body, metaOf(req)));
  }
  for (const def of [ui.assign, api.assign]) {
    route(app, def, async (req) => workflow.assign(authOf(req), req.params.id, req.body.user_id, metaOf(req)));
  }
  for (const def of [ui.notes, api.notes]) route(app, def, async (req) => notes.list(authOf(req), req.params.id));
  for (const def of [ui.addNote, api.addNote]) {
    route(app, def, async (req, reply) => reply.code(201).send(await notes.create(authOf(req), req.params.id, req.body.text, metaOf(req))));
  }
  for (const def of [ui.editNote, api.editNote]) {
    route(app, def, async (req) => notes.update(authOf(req), req.params.id, req.params.noteId, req.body.text, metaOf(req)));
  }
  for (const def of [ui.deleteNote, api.deleteNote]) {
    route(app, def, async (req) => {
      await notes.remove(authOf(req), req.params.id, req.params.noteId, metaOf(req));
      return { ok: true as const };
    });
  }

  route(app, ui.presence, async (req) => {
    await workflow.presence(requireSession(req), req.params.id, req.body.state);
    return { ok: true as const };
  });
  route(app, ui.notifications, async (req) => notes.notifications(requireSession(req).userId));
  route(app, ui.readNotifications, async (req) => {
    await notes.markNotificationsRead(requireSession(req).userId, req.body.ids);
    return { ok: true as const };
  });
  route(app, ui.assignment, async (req) => workflow.assignmentSettings(requireSession(req).userId, req.params.id));
  route(app, ui.updateAssignment, async (req) => workflow.updateAssignmentSettings(requireSession(req).userId, req.params.id, req.body, metaOf(req)));
  route(app, ui.receiveConversations, async (req) =>
    workflow.setReceivesConversations(requireSession(req).userId, req.params.id, req.body.receives_conversations, metaOf(req)),
  );
}
