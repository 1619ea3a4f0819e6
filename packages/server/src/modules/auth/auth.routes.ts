import type { FastifyReply, FastifyRequest } from 'fastify';
import { routes, type SignupMode } from '@threadline/contract';
import { route } from '../../http/route.ts';
import type { App } from '../../http/server.ts';
import { assertSameOrigin, requireAdmin, requireSession } from './auth.plugin.ts';
import type { AuthService, RequestContext } from './auth.service.ts';
import type { UserRow } from './auth.repository.ts';

export type SessionCookie = { name: string; secure: boolean };

export type AuthRoutesOptions = { auth: AuthService; cookie: SessionCookie; publicOrigin: string; signupMode: SignupMode };

export function requestContext(req: FastifyRequest): RequestContext {
  const ua = req.headers['user-agent'];
  return { ip: req.ip, userAgent: typeof ua === 'string' ? ua : undefined };
}

export function setSessionCookie(reply: FastifyReply, cookie: SessionCookie, token: string, maxAgeSeconds: number) {
  reply.setCookie(cookie.name, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: cookie.secure,
    path: '/',
    maxAge: maxAgeSeconds,
  });
}

function presentUser(u: UserRow) {
  return {
    id: u.id,
    username: u.username,
    is_admin: u.isAdmin,
    disabled: u.disabledAt !== null,
    oauth_provider: u.oauthProvider,
    has_password: u.passwordHash !== null,
    created_at: u.createdAt.toISOString(),
  };
}

export async function authRoutes(app: App, opts: AuthRoutesOptions) {
  const { auth, cookie } = opts;
  const r = routes.auth;

  route(app, r.login, async (req, reply) => {
    // A sign-in form posted from another site would sign the victim into the attacker's account.
    if (typeof req.headers.origin === 'string') assertSameOrigin(req, opts.publicOrigin);
    const session = await auth.login(req.body.username, req.body.password, requestContext(req));
    setSessionCookie(reply, cookie, session.token, session.expires_in);
    return session;
  });

  route(app, r.logout, async (req, reply) => {
    await auth.logout(requireSession(req).tokenHash);
    reply.clearCookie(cookie.name, { path: '/', secure: cookie.secure, httpOnly: true, sameSite: 'lax' });
    return { ok: true as const };
  });

  route(app, r.me, async (req) => auth.currentUser(requireSession(req)));

  route(app, r.changePassword, async (req) => {
    await auth.changePassword(requireSession(req), req.body.current_password, req.body.new_password, requestContext(req));
    return { ok: true as const };
  });

  route(app, r.setupStatus, async () => ({
    needs_setup: await auth.needsSetup(),
    signup_mode: opts.signupMode,
  }));

  route(app, r.setup, async (req, reply) => {
    if (typeof req.headers.origin === 'string') assertSameOrigin(req, opts.publicOrigin);
    const session = await auth.setupFirstUser(req.body.username, req.body.password, requestContext(req));
    setSessionCookie(reply, cookie, session.token, session.expires_in);
    return reply.code(201).send(session);
  });

  route(app, r.users, async (req) => {
    requireAdmin(req);
    return { users: (await auth.listUsers()).map(presentUser) };
  });

  route(app, r.createUser, async (req, reply) => {
    const actor = requireAdmin(req);
    const user = await auth.createUser({ username: req.body.username, password: req.body.password, isAdmin: req.body.is_admin }, actor.userId);
    return reply.code(201).send(presentUser(user));
  });

  route(app, r.updateUser, async (req) => {
    const actor = requireAdmin(req);
    const user = await auth.updateUser(actor, req.params.userId, { disabled: req.body.disabled, isAdmin: req.body.is_admin });
    return presentUser(user);
  });
}
