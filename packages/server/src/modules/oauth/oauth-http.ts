import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../http/server.ts';
import { setSessionCookie, type SessionCookie } from '../auth/auth.routes.ts';
import type { AuthService } from '../auth/auth.service.ts';
import type { CallbackResult } from './oauth-flow.ts';
import { OAUTH_PAGE_CSP } from './oauth-pages.ts';

/** What the browser-facing routes of both Meta login flows share: the binding cookie, forms, pages, the session. */

const FORM_LIMIT_BYTES = 64 * 1024;

export function createOAuthHttp(app: App, opts: { auth: Pick<AuthService, 'authenticate'>; cookie: SessionCookie }) {
  const bindingCookie = opts.cookie.secure ? '__Host-threadline_oauth' : 'threadline_oauth';
  const cookieOptions = { httpOnly: true, sameSite: 'lax' as const, secure: opts.cookie.secure, path: '/' };

  // Meta posts its callbacks form-encoded, and so do Threadline's own pages; this parser is scoped to these routes.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_LIMIT_BYTES }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(typeof body === 'string' ? body : body.toString('utf8'))));
  });

  const html = (reply: FastifyReply, status: number, body: string) =>
    reply.code(status).header('content-type', 'text/html; charset=utf-8').header('content-security-policy', OAUTH_PAGE_CSP).send(body);

  return {
    bindingCookie,
    html,
    /** The signed-in user, if the browser carries a valid session cookie; a bad one just means "not signed in". */
    async currentUserId(req: FastifyRequest): Promise<string | null> {
      const token = req.cookies[opts.cookie.name];
      if (!token) return null;
      try {
        return (await opts.auth.authenticate(token)).userId;
      } catch {
        return null;
      }
    },
    /** The browser binding cookie of a flow (`finish` clears it, or replaces it when the flow goes on). */
    bindingOf(req: FastifyRequest): string | null {
      return req.cookies[bindingCookie] ?? null;
    },
    setBinding(reply: FastifyReply, binding: string, maxAgeSeconds: number) {
      reply.setCookie(bindingCookie, binding, { ...cookieOptions, maxAge: maxAgeSeconds });
    },
    /** Answers a flow's end: its page, or the redirect (with the session of a sign-in, and the next binding). */
    finish(reply: FastifyReply, result: CallbackResult, bindingMaxAgeSeconds: number) {
      if (result.kind === 'page') {
        if (!result.keepBinding) reply.clearCookie(bindingCookie, cookieOptions);
        return html(reply, result.status, result.html);
      }
      if (result.binding) reply.setCookie(bindingCookie, result.binding, { ...cookieOptions, maxAge: bindingMaxAgeSeconds });
      else reply.clearCookie(bindingCookie, cookieOptions);
      if (result.session) setSessionCookie(reply, opts.cookie, result.session.token, result.session.expires_in);
      return reply.redirect(result.location, 302);
    },
  };
}
export type OAuthHttp = ReturnType<typeof createOAuthHttp>;
