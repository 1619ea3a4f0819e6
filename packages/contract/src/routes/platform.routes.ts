import { z } from 'zod';
import { okSchema } from '../common.ts';
import { dataDeletionResponseSchema, facebookAuthorizeQuerySchema, oauthAuthorizeQuerySchema } from '../oauth.ts';
import { defineRoute } from './define.ts';

export const healthSchema = z.object({ status: z.literal('ok'), version: z.string() });
export const readinessSchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  database: z.enum(['ok', 'unreachable']),
  migrations: z.enum(['ok', 'pending', 'unknown']),
  engine: z.enum(['pglite', 'postgres']),
});

/** What Meta sends back to a login callback (every field bounded: it arrives from anyone's browser). */
export const oauthCallbackQuerySchema = z.object({
  code: z.string().max(4096).optional(),
  state: z.string().max(512).optional(),
  error: z.string().max(256).optional(),
  error_reason: z.string().max(256).optional(),
  error_code: z.string().max(64).optional(),
  error_description: z.string().max(1024).optional(),
});
/** Meta's deauthorize and data-deletion callbacks post a form with one `signed_request`. */
export const signedRequestBodySchema = z.object({ signed_request: z.string().max(16 * 1024).optional() }).optional();
export const facebookPageChoiceParams = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/) });
export const facebookPageChoiceBody = z.record(z.string(), z.string()).optional();

const redirect = (description: string) => ({ status: 302, contentType: 'text/html', description });
const html = (description: string) => ({ status: 200, contentType: 'text/html', description });

/** Meta's deauthorize and data-deletion callbacks of one app, and the deletion status page. */
function metaCallbacks<const P extends 'instagram' | 'facebook'>(provider: P, tag: string) {
  return {
    deauthorize: defineRoute({
      method: 'POST', path: `/oauth/${provider}/deauthorize`, tag, auth: 'public', role: 'public:Meta signed_request',
      summary: `Meta: the ${provider} app was removed by a user`, body: signedRequestBodySchema, response: { 200: okSchema },
    }),
    dataDeletion: defineRoute({
      method: 'POST', path: `/oauth/${provider}/data-deletion`, tag, auth: 'public', role: 'public:Meta signed_request',
      summary: `Meta: a user asked for their data to be deleted (${provider} app)`, body: signedRequestBodySchema,
      response: { 200: dataDeletionResponseSchema },
    }),
    deletionStatus: defineRoute({
      method: 'GET', path: `/oauth/${provider}/data-deletion/:code`, tag, auth: 'public', role: 'public:confirmation code',
      summary: 'The status of a data deletion request (JSON with `Accept: application/json`)',
      params: z.object({ code: z.string().regex(/^[A-Za-z0-9]{1,64}$/) }),
      produces: html('A page saying what was deleted; JSON (dataDeletionStatus) when asked for'),
    }),
  };
}

/** The routes outside /api: health, Meta's webhooks, the login flows and their callbacks, and signed media links. */
export const platformRoutes = {
  healthz: defineRoute({
    method: 'GET', path: '/healthz', tag: 'Operations', auth: 'public', role: 'public',
    summary: 'The process is up', response: { 200: healthSchema },
  }),
  readyz: defineRoute({
    method: 'GET', path: '/readyz', tag: 'Operations', auth: 'public', role: 'public',
    summary: 'The database answers and every migration has run', response: { 200: readinessSchema, 503: readinessSchema },
  }),
  metrics: defineRoute({
    method: 'GET', path: '/metrics', tag: 'Operations', auth: 'public', role: 'public:allowed network or METRICS_TOKEN',
    summary: 'Prometheus metrics', produces: { status: 200, contentType: 'text/plain', description: 'Prometheus text format' },
  }),
  webhookHandshake: defineRoute({
    method: 'GET', path: '/webhooks/instagram', tag: 'Meta webhooks', auth: 'public', role: 'public:Meta verify token',
    summary: 'Meta’s subscription handshake (`hub.mode`, `hub.verify_token`, `hub.challenge`)',
    produces: { status: 200, contentType: 'text/plain', description: 'The challenge' },
  }),
  webhook: defineRoute({
    method: 'POST', path: '/webhooks/instagram', tag: 'Meta webhooks', auth: 'public', role: 'public:Meta HMAC signature',
    summary: 'Meta’s webhook: verified (X-Hub-Signature-256) and stored before the answer', consumes: ['application/json'],
    headers: [{ name: 'X-Hub-Signature-256', description: 'sha256=HMAC of the raw body with the app secret', required: true }],
    produces: { status: 200, contentType: 'text/plain', description: 'EVENT_RECEIVED' },
  }),
  mediaPublic: defineRoute({
    method: 'GET', path: '/media/public/:id/:expires/:signature', tag: 'Messages', auth: 'public', role: 'public:HMAC-signed expiring link',
    summary: 'An uploaded attachment, for Meta to fetch when the message is sent',
    params: z.object({ id: z.uuid(), expires: z.coerce.number().int().positive(), signature: z.string().max(100) }),
    produces: { status: 200, contentType: 'application/octet-stream', description: 'The file, with its own Content-Type' },
  }),
  instagram: {
    authorize: defineRoute({
      method: 'GET', path: '/oauth/instagram/authorize', tag: 'Instagram login', auth: 'public', role: 'public',
      summary: 'Start “Continue with Instagram”', query: oauthAuthorizeQuerySchema, produces: redirect('To Instagram’s dialog'),
    }),
    callback: defineRoute({
      method: 'GET', path: '/oauth/instagram/callback', tag: 'Instagram login', auth: 'public',
      role: 'public:single-use state bound to the browser', summary: 'Instagram’s login callback', query: oauthCallbackQuerySchema,
      produces: redirect('Back into the web app'),
    }),
    ...metaCallbacks('instagram', 'Instagram login'),
  },
  facebook: {
    authorize: defineRoute({
      method: 'GET', path: '/oauth/facebook/authorize', tag: 'Facebook login', auth: 'public', role: 'public',
      summary: 'Start “Continue with Facebook”', query: facebookAuthorizeQuerySchema, produces: redirect('To Facebook’s dialog'),
    }),
    callback: defineRoute({
      method: 'GET', path: '/oauth/facebook/callback', tag: 'Facebook login', auth: 'public',
      role: 'public:single-use state bound to the browser', summary: 'Facebook’s login callback', query: oauthCallbackQuerySchema,
      produces: redirect('To the Page picker, or back into the web app'),
    }),
    pages: defineRoute({
      method: 'GET', path: '/oauth/facebook/pages/:id', tag: 'Facebook login', auth: 'public',
      role: 'public:single-use choice bound to the browser', summary: 'The Page picker', params: facebookPageChoiceParams,
      produces: html('A form listing the Pages'),
    }),
    choosePages: defineRoute({
      method: 'POST', path: '/oauth/facebook/pages/:id', tag: 'Facebook login', auth: 'public',
      role: 'public:single-use choice bound to the browser', summary: 'Link the chosen Pages', params: facebookPageChoiceParams,
      body: facebookPageChoiceBody, consumes: ['application/x-www-form-urlencoded'], produces: redirect('Back into the web app'),
    }),
    ...metaCallbacks('facebook', 'Facebook login'),
  },
} as const;
