import { z } from 'zod';
import {
  assigneeBodySchema,
  assignmentMeBodySchema,
  assignmentSettingsBodySchema,
  assignmentSettingsSchema,
  conversationSchema,
  conversationStatusBodySchema,
  noteBodySchema,
  noteListSchema,
  noteSchema,
  notificationListSchema,
  notificationsReadBodySchema,
  presenceBodySchema,
} from '@threadline/contract';
import type { FastifyRequest } from 'fastify';
import type { App } from '../../../http/server.ts';
import { requireSession } from '../../auth/auth.plugin.ts';
import { authOf } from '../../auth/auth.plugin.ts';
import type { NotesService } from './notes.service.ts';
import type { RequestMeta, WorkflowService } from './workflow.service.ts';

const idParams = z.object({ id: z.uuid() });
const noteParams = z.object({ id: z.uuid(), noteId: z.uuid() });
const okSchema = z.object({ ok: z.literal(true) });
const metaOf = (req: FastifyRequest): RequestMeta => ({ ip: req.ip, requestId: req.id });

/**
 * How a team works a conversation: status, assignee and notes for the web app (`/api/v1/ui/…`, a session: admins
 * and owners change status and assignee, every member writes notes) and for a CRM (`/api/v1/…`, an API key with
 * `conversations:write`; reading notes needs `conversations:read`). Presence, notifications and the account's
 * auto-assignment are the web app's only.
 */
export async function workflowRoutes(app: App, opts: { workflow: WorkflowService; notes: NotesService }) {
  const { workflow, notes } = opts;
  for (const [prefix, write, read] of [
    ['/api/v1/ui', { auth: 'session' as const }, { auth: 'session' as const }],
    [
      '/api/v1',
      { auth: 'api_key' as const, apiKeyScope: 'conversations:write' as const },
      { auth: 'api_key' as const, apiKeyScope: 'conversations:read' as const },
    ],
  ] as const) {
    app.patch(
      `${prefix}/conversations/:id`,
      { config: write, schema: { params: idParams, body: conversationStatusBodySchema, response: { 200: conversationSchema } } },
      async (req) => workflow.setStatus(authOf(req), req.params.id, req.body, metaOf(req)),
    );
    app.put(
      `${prefix}/conversations/:id/assignee`,
      { config: write, schema: { params: idParams, body: assigneeBodySchema, response: { 200: conversationSchema } } },
      async (req) => workflow.assign(authOf(req), req.params.id, req.body.user_id, metaOf(req)),
    );
    app.get(
      `${prefix}/conversations/:id/notes`,
      { config: read, schema: { params: idParams, response: { 200: noteListSchema } } },
      async (req) => notes.list(authOf(req), req.params.id),
    );
    app.post(
      `${prefix}/conversations/:id/notes`,
      { config: write, schema: { params: idParams, body: noteBodySchema, response: { 201: noteSchema } } },
      async (req, reply) => reply.code(201).send(await notes.create(authOf(req), req.params.id, req.body.text, metaOf(req))),
    );
    app.patch(
      `${prefix}/conversations/:id/notes/:noteId`,
      { config: write, schema: { params: noteParams, body: noteBodySchema, response: { 200: noteSchema } } },
      async (req) => notes.update(authOf(req), req.params.id, req.params.noteId, req.body.text, metaOf(req)),
    );
    app.delete(
      `${prefix}/conversations/:id/notes/:noteId`,
      { config: write, schema: { params: noteParams, response: { 200: okSchema } } },
      async (req) => {
        await notes.remove(authOf(req), req.params.id, req.params.noteId, metaOf(req));
        return { ok: true as const };
      },
    );
  }

  app.post(
    '/api/v1/ui/conversations/:id/presence',
    { config: { auth: 'session' }, schema: { params: idParams, body: presenceBodySchema, response: { 200: okSchema } } },
    async (req) => {
      await workflow.presence(requireSession(req), req.params.id, req.body.state);
      return { ok: true as const };
    },
  );

  app.get(
    '/api/v1/ui/notifications',
    { config: { auth: 'session' }, schema: { response: { 200: notificationListSchema } } },
    async (req) => notes.notifications(requireSession(req).userId),
  );
  app.post(
    '/api/v1/ui/notifications/read',
    { config: { auth: 'session' }, schema: { body: notificationsReadBodySchema, response: { 200: okSchema } } },
    async (req) => {
      await notes.markNotificationsRead(requireSession(req).userId, req.body.ids);
      return { ok: true as const };
    },
  );

  app.get(
    '/api/v1/accounts/:id/assignment',
    { config: { auth: 'session' }, schema: { params: idParams, response: { 200: assignmentSettingsSchema } } },
    async (req) => workflow.assignmentSettings(requireSession(req).userId, req.params.id),
  );
  app.put(
    '/api/v1/accounts/:id/assignment',
    { config: { auth: 'session' }, schema: { params: idParams, body: assignmentSettingsBodySchema, response: { 200: assignmentSettingsSchema } } },
    async (req) => workflow.updateAssignmentSettings(requireSession(req).userId, req.params.id, req.body, metaOf(req)),
  );
  app.put(
    '/api/v1/accounts/:id/assignment/me',
    { config: { auth: 'session' }, schema: { params: idParams, body: assignmentMeBodySchema, response: { 200: assignmentSettingsSchema } } },
    async (req) => workflow.setReceivesConversations(requireSession(req).userId, req.params.id, req.body.receives_conversations, metaOf(req)),
  );
}
