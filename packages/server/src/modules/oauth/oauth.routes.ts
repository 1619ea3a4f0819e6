import { z } from 'zod';
import { dataDeletionResponseSchema, dataDeletionStatusSchema, OAUTH_STATE_TTL_SECONDS, oauthAuthorizeQuerySchema } from '@threadline/contract';
import type { FastifyReply } from 'fastify';
import type { App } from '../../http/server.ts';
import { redactUrl } from '../../shared/logger.ts';
import { requestContext, type SessionCookie } from '../auth/auth.routes.ts';
import type { AuthService, RequestContext } from '../auth/auth.service.ts';
import type { MetaCallbacks } from './meta-callbacks.service.ts';
import type { CallbackQuery, CallbackResult } from './oauth-flow.ts';
import { createOAuthHttp, type OAuthHttp } from './oauth-http.ts';
import { page } from './oauth-pages.ts';
import type { OAuthService } from './oauth.service.ts';
import { oauthErrors } from './oauth.errors.ts';

export type OAuthRoutesOptions = {
  /** Null when INSTAGRAM_OAUTH_CLIENT_ID / _SECRET are missing: the flow routes answer 503. */
  oauth: OAuthService | null;
  /** Null when no app secret is configured: the Meta callbacks answer 503. */
  metaCallbacks: MetaCallbacks | null;
  auth: Pick<AuthService, 'authenticate'>;
  cookie: SessionCookie;
};

const callbackQuerySchema = z.object({
  code: z.string().max(4096).optional(),
  state: z.string().max(512).optional(),
  error: z.string().max(256).optional(),
  error_reason: z.string().max(256).optional(),
  error_code: z.string().max(64).optional(),
  error_description: z.string().max(1024).optional(),
});
const signedRequestBody = z.object({ signed_request: z.string().max(16 * 1024).optional() }).optional();

/** What both flows' routes call: the start and the callback of one flow. */
type Flow<Input> = {
  start(input: Input): Promise<{ refused: string } | { authorizeUrl: string; binding: string; maxAgeSeconds: number }>;
  callback(query: CallbackQuery, binding: string | null, ctx: RequestContext): Promise<CallbackResult>;
};

/** Sends the browser on from a flow's start: back to its redirect when refused, else to Meta with the binding cookie. */
export async function redirectToStart<Input>(http: OAuthHttp, reply: FastifyReply, flow: Flow<Input>, input: Input) {
  const started = await flow.start(input);
  if ('refused' in started) return reply.redirect(started.refused, 302);
  http.setBinding(reply, started.binding, started.maxAgeSeconds);
  return reply.redirect(started.authorizeUrl, 302);
}

/**
 * The callback route of a flow (`flow` throws when it is not configured). Fastify's own request log line would carry
 * the raw query (the code and the state): this route logs a redacted line of its own instead, and only warnings and
 * errors otherwise.
 */
export function callbackRoute(app: App, http: OAuthHttp, provider: 'instagram' | 'facebook', flow: () => Pick<Flow<never>, 'callback'>) {
  app.get(`/oauth/${provider}/callback`, { logLevel: 'warn', schema: { querystring: callbackQuerySchema } }, async (req, reply) => {
    app.log.info({ reqId: req.id, url: redactUrl(req.url) }, `${provider} login callback`);
    const result = await flow().callback(req.query, http.bindingOf(req), requestContext(req));
    return http.finish(reply, result, OAUTH_STATE_TTL_SECONDS);
  });
}

const notConfigured = oauthErrors.instagramNotConfigured;

/**
 * Meta's deauthorize and data-deletion callbacks of one app (`/oauth/{provider}/…`) and the deletion status page.
 * Both Meta login flows register them; `unavailable` is the error their routes answer when not configured.
 */
export function metaCallbackRoutes(app: App, http: OAuthHttp, provider: 'instagram' | 'facebook', callbacks: MetaCallbacks | null, unavailable: () => Error) {
  app.post(`/oauth/${provider}/deauthorize`, { schema: { body: signedRequestBody, response: { 200: z.object({ ok: z.literal(true) }) } } }, async (req) => {
    if (!callbacks) throw unavailable();
    await callbacks.deauthorize(req.body?.signed_request);
    return { ok: true as const };
  });

  app.post(`/oauth/${provider}/data-deletion`, { schema: { body: signedRequestBody, response: { 200: dataDeletionResponseSchema } } }, async (req) => {
    if (!callbacks) throw unavailable();
    return callbacks.dataDeletion(req.body?.signed_request);
  });

  app.get(
    `/oauth/${provider}/data-deletion/:code`,
    { schema: { params: z.object({ code: z.string().regex(/^[A-Za-z0-9]{1,64}$/) }) } },
    async (req, reply) => {
      if (!callbacks) throw unavailable();
      const row = await callbacks.status(req.params.code);
      if (!row) throw oauthErrors.deletionNotFound();
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
        not_found: 'Threadline held no data for this account.',
      }[view.status];
      return http.html(reply, 200, page('Data deletion request', [`Confirmation code: ${view.confirmation_code}`, said, `Requested at ${view.requested_at}.`]));
    },
  );
}

/** Browser-facing Instagram Login routes and Meta's deauthorize / data-deletion callbacks. */
export async function oauthRoutes(app: App, opts: OAuthRoutesOptions) {
  const http = createOAuthHttp(app, opts);

  const oauth = () => {
    if (!opts.oauth) throw notConfigured();
    return opts.oauth;
  };

  app.get('/oauth/instagram/authorize', { schema: { querystring: oauthAuthorizeQuerySchema } }, async (req, reply) =>
    redirectToStart(http, reply, oauth(), { userId: await http.currentUserId(req), redirect: req.query.redirect, invitation: req.query.invitation }),
  );

  callbackRoute(app, http, 'instagram', oauth);

  metaCallbackRoutes(app, http, 'instagram', opts.metaCallbacks, notConfigured);
}
