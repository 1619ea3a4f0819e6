import { z } from 'zod';
import {
  acceptInvitationRequestSchema,
  createdInvitationSchema,
  createInvitationRequestSchema,
  invitationListSchema,
  invitationLookupRequestSchema,
  invitationPreviewSchema,
  invitationSchema,
  passwordResetLinkSchema,
  passwordResetLookupRequestSchema,
  passwordResetPreviewSchema,
  passwordResetRequestSchema,
  sessionResponseSchema,
} from '@threadline/contract';
import type { App } from '../../http/server.ts';
import { assertSameOrigin, requireAdmin, requireSession } from '../auth/auth.plugin.ts';
import { requestContext, setSessionCookie, type SessionCookie } from '../auth/auth.routes.ts';
import type { InvitationsService } from './invitations.service.ts';
import type { PasswordResets } from './password-resets.service.ts';

export type TeammatesRoutesOptions = {
  invitations: InvitationsService;
  passwordResets: PasswordResets;
  cookie: SessionCookie;
  publicOrigin: string;
};

const accountParams = z.object({ id: z.uuid() });
const invitationParams = z.object({ invitationId: z.uuid() });
const okSchema = z.object({ ok: z.literal(true) });

/**
 * Invitation links (an account's, made by its owners and admins; the instance's, by administrators), signing up
 * from one, and administrators' one-time password-reset links. Tokens travel in bodies, never in URLs.
 */
export async function teammatesRoutes(app: App, opts: TeammatesRoutesOptions) {
  const { invitations, passwordResets, cookie } = opts;

  app.get(
    '/api/v1/accounts/:id/invitations',
    { config: { auth: 'session' }, schema: { params: accountParams, response: { 200: invitationListSchema } } },
    async (req) => ({ invitations: await invitations.list(requireSession(req).userId, req.params.id) }),
  );

  app.post(
    '/api/v1/accounts/:id/invitations',
    { config: { auth: 'session' }, schema: { params: accountParams, body: createInvitationRequestSchema, response: { 201: createdInvitationSchema } } },
    async (req, reply) => {
      const made = await invitations.create(requireSession(req).userId, req.params.id, { role: req.body.role, expiresInHours: req.body.expires_in_hours });
      return reply.code(201).send(made);
    },
  );

  app.delete(
    '/api/v1/accounts/:id/invitations/:invitationId',
    { config: { auth: 'session' }, schema: { params: accountParams.extend(invitationParams.shape), response: { 200: invitationSchema } } },
    async (req) => invitations.revoke(requireSession(req).userId, req.params.id, req.params.invitationId),
  );

  app.get(
    '/api/v1/admin/invitations',
    { config: { auth: 'session' }, schema: { response: { 200: invitationListSchema } } },
    async (req) => ({ invitations: await invitations.list(requireAdmin(req).userId, null) }),
  );

  app.post(
    '/api/v1/admin/invitations',
    {
      config: { auth: 'session' },
      schema: { body: createInvitationRequestSchema.pick({ expires_in_hours: true }), response: { 201: createdInvitationSchema } },
    },
    async (req, reply) => {
      const made = await invitations.create(requireAdmin(req).userId, null, { role: 'viewer', expiresInHours: req.body.expires_in_hours });
      return reply.code(201).send(made);
    },
  );

  app.delete(
    '/api/v1/admin/invitations/:invitationId',
    { config: { auth: 'session' }, schema: { params: invitationParams, response: { 200: invitationSchema } } },
    async (req) => invitations.revoke(requireAdmin(req).userId, null, req.params.invitationId),
  );

  app.post(
    '/api/v1/invitations/lookup',
    { config: { auth: 'public' }, schema: { body: invitationLookupRequestSchema, response: { 200: invitationPreviewSchema } } },
    async (req) => invitations.preview(req.body.token),
  );

  app.post(
    '/api/v1/invitations/accept',
    { config: { auth: 'public' }, schema: { body: acceptInvitationRequestSchema, response: { 201: sessionResponseSchema } } },
    async (req, reply) => {
      // like sign-in: a form posted from another site must not sign the victim up and in
      if (typeof req.headers.origin === 'string') assertSameOrigin(req, opts.publicOrigin);
      const session = await invitations.acceptWithPassword(req.body.token, req.body.username, req.body.password, requestContext(req));
      setSessionCookie(reply, cookie, session.token, session.expires_in);
      return reply.code(201).send(session);
    },
  );

  app.post(
    '/api/v1/admin/users/:userId/password-reset',
    { config: { auth: 'session' }, schema: { params: z.object({ userId: z.uuid() }), response: { 201: passwordResetLinkSchema } } },
    async (req, reply) => {
      const link = await passwordResets.issue(requireAdmin(req).userId, req.params.userId);
      return reply.code(201).send({ url: link.url, expires_at: link.expiresAt.toISOString() });
    },
  );

  app.post(
    '/api/v1/password-resets/lookup',
    { config: { auth: 'public' }, schema: { body: passwordResetLookupRequestSchema, response: { 200: passwordResetPreviewSchema } } },
    async (req) => passwordResets.preview(req.body.token),
  );

  app.post(
    '/api/v1/password-resets/reset',
    { config: { auth: 'public' }, schema: { body: passwordResetRequestSchema, response: { 200: okSchema } } },
    async (req) => {
      if (typeof req.headers.origin === 'string') assertSameOrigin(req, opts.publicOrigin);
      await passwordResets.reset(req.body.token, req.body.new_password, requestContext(req));
      return { ok: true as const };
    },
  );
}
