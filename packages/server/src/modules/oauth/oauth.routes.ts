import { dataDeletionStatusSchema, OAUTH_STATE_TTL_SECONDS, routes } from '@threadline/contract';
import type { FastifyReply } from 'fastify';
import { route, routeWith } from '../../http/route.ts';
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
  routeWith(app, routes.platform[provider].callback, { logLevel: 'warn' }, async (req, reply) => {
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
  const r = routes.platform[provider];
  route(app, r.deauthorize, async (req) => {
    if (!callbacks) throw unavailable();
    await callbacks.deauthorize(req.body?.signed_request);
    return { ok: true as const };
  });

  route(app, r.dataDeletion, async (req) => {
    if (!callbacks) throw unavailable();
    return callbacks.dataDeletion(req.body?.signed_request);
  });

  route(app, r.deletionStatus, async (req, reply) => {
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
  });
}

/** Browser-facing Instagram Login routes and Meta's deauthorize / data-deletion callbacks. */
export async function oauthRoutes(app: App, opts: OAuthRoutesOptions) {
  const http = createOAuthHttp(app, opts);

  const oauth = () => {
    if (!opts.oauth) throw notConfigured();
    return opts.oauth;
  };

  route(app, routes.platform.instagram.authorize, async (req, reply) =>
    redirectToStart(http, reply, oauth(), { userId: await http.currentUserId(req), redirect: req.query.redirect, invitation: req.query.invitation }),
  );

  callbackRoute(app, http, 'instagram', oauth);

  metaCallbackRoutes(app, http, 'instagram', opts.metaCallbacks, notConfigured);
}
