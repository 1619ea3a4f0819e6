import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  adminCreateUserRequestSchema,
  adminUpdateUserRequestSchema,
  adminUserListSchema,
  adminUserSchema,
  changePasswordRequestSchema,
  currentUserSchema,
  loginRequestSchema,
  sessionResponseSchema,
  setupRequestSchema,
  setupStatusSchema,
  type SignupMode,
} from '@threadline/contract';
import type { App } from '../../http/server.ts';
import { assertSameOrigin, requireAdmin, requireSession } from './auth.plugin.ts';
import type { AuthService, RequestContext } from './auth.service.ts';
import type { UserRow } from './auth.repository.ts';

export type SessionCookie = { name: string; secure: boolean };

export type AuthRoutesOptions = { auth: AuthService; cookie: SessionCookie; publicOrigin: string; signupMode: SignupMode };

const okSchema = z.object({ ok: z.literal(true) });

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

  app.post(
    '/api/v1/ui/session',
    { config: { auth: 'public' }, schema: { body: loginRequestSchema, response: { 200: sessionResponseSchema } } },
    async (req, reply) => {
      // A sign-in form posted from another site would sign the victim into the attacker's account.
      if (typeof req.headers.origin === 'string') assertSameOrigin(req, opts.publicOrigin);
      const session = await auth.login(req.body.username, req.body.password, requestContext(req));
      setSessionCookie(reply, cookie, session.token, session.expires_in);
      return session;
    },
  );

  app.delete('/api/v1/ui/session', { schema: { response: { 200: okSchema } } }, async (req, reply) => {
    await auth.logout(requireSession(req).tokenHash);
    reply.clearCookie(cookie.name, { path: '/', secure: cookie.secure, httpOnly: true, sameSite: 'lax' });
    return { ok: true as const };
  });

  app.get('/api/v1/ui/me', { schema: { response: { 200: currentUserSchema } } }, async (req) =>
    auth.currentUser(requireSession(req)),
  );

  app.post(
    '/api/v1/ui/password',
    { schema: { body: changePasswordRequestSchema, response: { 200: okSchema } } },
    async (req) => {
      await auth.changePassword(requireSession(req), req.body.current_password, req.body.new_password, requestContext(req));
      return { ok: true as const };
    },
  );

  app.get('/api/v1/setup', { config: { auth: 'public' }, schema: { response: { 200: setupStatusSchema } } }, async () => ({
    needs_setup: await auth.needsSetup(),
    signup_mode: opts.signupMode,
  }));

  app.post(
    '/api/v1/setup',
    { config: { auth: 'public' }, schema: { body: setupRequestSchema, response: { 201: sessionResponseSchema } } },
    async (req, reply) => {
      if (typeof req.headers.origin === 'string') assertSameOrigin(req, opts.publicOrigin);
      const session = await auth.setupFirstUser(req.body.username, req.body.password, requestContext(req));
      setSessionCookie(reply, cookie, session.token, session.expires_in);
      return reply.code(201).send(session);
    },
  );

  app.get('/api/v1/admin/users', { schema: { response: { 200: adminUserListSchema } } }, async (req) => {
    requireAdmin(req);
    return { users: (await auth.listUsers()).map(presentUser) };
  });

  app.post(
    '/api/v1/admin/users',
    { schema: { body: adminCreateUserRequestSchema, response: { 201: adminUserSchema } } },
    async (req, reply) => {
      const actor = requireAdmin(req);
      const user = await auth.createUser(
        { username: req.body.username, password: req.body.password, isAdmin: req.body.is_admin },
        actor.userId,
      );
      return reply.code(201).send(presentUser(user));
    },
  );

  app.patch(
    '/api/v1/admin/users/:userId',
    {
      schema: {
        params: z.object({ userId: z.uuid() }),
        body: adminUpdateUserRequestSchema,
        response: { 200: adminUserSchema },
      },
    },
    async (req) => {
      const actor = requireAdmin(req);
      const user = await auth.updateUser(actor, req.params.userId, {
        disabled: req.body.disabled,
        isAdmin: req.body.is_admin,
      });
      return presentUser(user);
    },
  );
}
