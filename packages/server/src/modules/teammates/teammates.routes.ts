import { routes } from '@threadline/contract';
import { route } from '../../http/route.ts';
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

/**
 * Invitation links (an account's, made by its owners and admins; the instance's, by administrators), signing up
 * from one, and administrators' one-time password-reset links. Tokens travel in bodies, never in URLs.
 */
export async function teammatesRoutes(app: App, opts: TeammatesRoutesOptions) {
  const { invitations, passwordResets, cookie } = opts;
  const r = routes.teammates;

  route(app, r.invitations, async (req) => ({ invitations: await invitations.list(requireSession(req).userId, req.params.id) }));

  route(app, r.invite, async (req, reply) => {
    const made = await invitations.create(requireSession(req).userId, req.params.id, { role: req.body.role, expiresInHours: req.body.expires_in_hours });
    return reply.code(201).send(made);
  });

  route(app, r.revoke, async (req) => invitations.revoke(requireSession(req).userId, req.params.id, req.params.invitationId));

  route(app, r.instanceInvitations, async (req) => ({ invitations: await invitations.list(requireAdmin(req).userId, null) }));

  route(app, r.instanceInvite, async (req, reply) => {
    const made = await invitations.create(requireAdmin(req).userId, null, { role: 'viewer', expiresInHours: req.body.expires_in_hours });
    return reply.code(201).send(made);
  });

  route(app, r.instanceRevoke, async (req) => invitations.revoke(requireAdmin(req).userId, null, req.params.invitationId));

  route(app, r.lookupInvitation, async (req) => invitations.preview(req.body.token));

  route(app, r.acceptInvitation, async (req, reply) => {
    // like sign-in: a form posted from another site must not sign the victim up and in
    if (typeof req.headers.origin === 'string') assertSameOrigin(req, opts.publicOrigin);
    const session = await invitations.acceptWithPassword(req.body.token, req.body.username, req.body.password, requestContext(req));
    setSessionCookie(reply, cookie, session.token, session.expires_in);
    return reply.code(201).send(session);
  });

  route(app, r.issuePasswordReset, async (req, reply) => {
    const link = await passwordResets.issue(requireAdmin(req).userId, req.params.userId);
    return reply.code(201).send({ url: link.url, expires_at: link.expiresAt.toISOString() });
  });

  route(app, r.lookupPasswordReset, async (req) => passwordResets.preview(req.body.token));

  route(app, r.resetPassword, async (req) => {
    if (typeof req.headers.origin === 'string') assertSameOrigin(req, opts.publicOrigin);
    await passwordResets.reset(req.body.token, req.body.new_password, requestContext(req));
    return { ok: true as const };
  });
}
