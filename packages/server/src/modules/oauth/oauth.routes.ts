import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { dataDeletionResponseSchema, dataDeletionStatusSchema, oauthAuthorizeQuerySchema } from '@threadline/contract';
import type { App } from '../../http/server.ts';
import { notFound, serviceUnavailable } from '../../shared/errors.ts';
import { redactUrl } from '../../shared/logger.ts';
import { requestContext, setSessionCookie, type SessionCookie } from '../auth/auth.routes.ts';
import type { AuthService } from '../auth/auth.service.ts';
import type { MetaCallbacks } from './meta-callbacks.service.ts';
import { page } from './oauth-pages.ts';
import type { OAuthService } from './oauth.service.ts';

export type OAuthRoutesOptions = {
  /** Null when INSTAGRAM_OAUTH_CLIENT_ID / _SECRET are missing: the flow routes answer 503. */
  oauth: OAuthService | null;
  /** Null when no app secret is configured: the Meta callbacks answer 503. */
  metaCallbacks: MetaCallbacks | null;
  auth: Pick<AuthService, 'authenticate'>;
  cookie: SessionCookie;
};

const FORM_LIMIT_BYTES = 64 * 1024;
const callbackQuery = z.object({
  code: z.string().max(4096).optional(),
  state: z.string().max(512).optional(),
  error: z.string().max(256).optional(),
  error_reason: z.string().max(256).optional(),
  error_description: z.string().max(1024).optional(),
});
const signedRequestBody = z.object({ signed_request: z.string().max(16 * 1024).optional() }).optional();

const notConfigured = () =>
  serviceUnavailable(
    'oauth.not_configured',
    'Instagram login is not configured on this server (set INSTAGRAM_OAUTH_CLIENT_ID and INSTAGRAM_OAUTH_CLIENT_SECRET).',
  );

/** Browser-facing Instagram Login routes and Meta's deauthorize / data-deletion callbacks. */
export async function oauthRoutes(app: App, opts: OAuthRoutesOptions) {
  const bindingCookie = opts.cookie.secure ? '__Host-threadline_oauth' : 'threadline_oauth';
  const cookieOptions = { httpOnly: true, sameSite: 'lax' as const, secure: opts.cookie.secure, path: '/' };

  // Meta posts its callbacks form-encoded; this parser is scoped to these routes.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_LIMIT_BYTES }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(typeof body === 'string' ? body : body.toString('utf8'))));
  });

  /** The signed-in user, if the browser carries a valid session cookie; a bad one just means "not signed in". */
  async function currentUserId(req: FastifyRequest): Promise<string | null> {
    const token = req.cookies[opts.cookie.name];
    if (!token) return null;
    try {
      return (await opts.auth.authenticate(token)).userId;
    } catch {
      return null;
    }
  }

  const html = (reply: FastifyReply, status: number, body: string) =>
    reply.code(status).header('content-type', 'text/html; charset=utf-8').send(body);

  app.get('/oauth/instagram/authorize', { schema: { querystring: oauthAuthorizeQuerySchema } }, async (req, reply) => {
    if (!opts.oauth) throw notConfigured();
    const started = await opts.oauth.start({ userId: await currentUserId(req), redirect: req.query.redirect });
    reply.setCookie(bindingCookie, started.binding, { ...cookieOptions, maxAge: started.maxAgeSeconds });
    return reply.redirect(started.authorizeUrl, 302);
  });

  // Fastify's own request log line would carry the raw query (the code and the state): this route logs a
  // redacted line of its own instead, and only warnings and errors otherwise.
  app.get('/oauth/instagram/callback', { logLevel: 'warn', schema: { querystring: callbackQuery } }, async (req, reply) => {
    app.log.info({ reqId: req.id, url: redactUrl(req.url) }, 'instagram login callback');
    if (!opts.oauth) throw notConfigured();
    const binding = req.cookies[bindingCookie] ?? null;
    reply.clearCookie(bindingCookie, cookieOptions);
    const result = await opts.oauth.callback(req.query, binding, requestContext(req));
    if (result.kind === 'page') {
      return html(reply, result.status, page('Instagram sign-in failed', [result.message], { href: '/', text: 'Back to Threadline' }));
    }
    if (result.session) setSessionCookie(reply, opts.cookie, result.session.token, result.session.expires_in);
    return reply.redirect(result.location, 302);
  });

  app.post('/oauth/instagram/deauthorize', { schema: { body: signedRequestBody, response: { 200: z.object({ ok: z.literal(true) }) } } }, async (req) => {
    if (!opts.metaCallbacks) throw notConfigured();
    await opts.metaCallbacks.deauthorize(req.body?.signed_request);
    return { ok: true as const };
  });

  app.post('/oauth/instagram/data-deletion', { schema: { body: signedRequestBody, response: { 200: dataDeletionResponseSchema } } }, async (req) => {
    if (!opts.metaCallbacks) throw notConfigured();
    return opts.metaCallbacks.dataDeletion(req.body?.signed_request);
  });

  app.get(
    '/oauth/instagram/data-deletion/:code',
    { schema: { params: z.object({ code: z.string().regex(/^[A-Za-z0-9]{1,64}$/) }) } },
    async (req, reply) => {
      if (!opts.metaCallbacks) throw notConfigured();
      const row = await opts.metaCallbacks.status(req.params.code);
      if (!row) throw notFound('oauth.deletion_not_found', 'No data deletion request has this confirmation code.');
      const view = dataDeletionStatusSchema.parse({
        confirmation_code: row.confirmationCode,
        status: row.status,
        messages_deleted: row.messagesDeleted,
        requested_at: row.requestedAt.toISOString(),
        completed_at: row.completedAt?.toISOString() ?? null,
      });
      if ((req.headers.accept ?? '').includes('application/json')) return view;
      const said = {
        completed: `Deleted: the Instagram account's connection and ${view.messages_deleted} stored messages with their media are gone.`,
        pending: 'The deletion is in progress.',
        not_found: 'Threadline held no data for this Instagram account.',
      }[view.status];
      return html(reply, 200, page('Data deletion request', [`Confirmation code: ${view.confirmation_code}`, said, `Requested at ${view.requested_at}.`]));
    },
  );
}
