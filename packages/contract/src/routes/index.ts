import { z } from 'zod';
import { accountsRoutes, apiKeysRoutes } from './accounts.routes.ts';
import { authRoutes } from './auth.routes.ts';
import { crmRoutes, webhookAdminRoutes } from './crm.routes.ts';
import { defineRoute, type RouteDef } from './define.ts';
import { inboxRoutes } from './inbox.routes.ts';
import { platformRoutes } from './platform.routes.ts';
import { sendingRoutes } from './sending.routes.ts';
import { cannedRepliesRoutes, contactsRoutes, labelsRoutes } from './team.routes.ts';
import { teammatesRoutes } from './teammates.routes.ts';
import { workflowRoutes } from './workflow.routes.ts';

export * from './define.ts';
export * from './params.ts';
export { healthSchema, readinessSchema, oauthCallbackQuerySchema, signedRequestBodySchema, facebookPageChoiceBody, facebookPageChoiceParams } from './platform.routes.ts';

/** This reference itself: the OpenAPI document and a page that reads it. */
export const docsRoutes = {
  openapi: defineRoute({
    method: 'GET', path: '/api/openapi.json', tag: 'Reference', auth: 'public', role: 'public',
    summary: 'This API as an OpenAPI 3.1 document',
    produces: { status: 200, contentType: 'application/json', description: 'The OpenAPI 3.1 document' },
  }),
  page: defineRoute({
    method: 'GET', path: '/api/docs', tag: 'Reference', auth: 'public', role: 'public',
    summary: 'The API reference page', produces: { status: 200, contentType: 'text/html', description: 'The reference page' },
  }),
  pageAsset: defineRoute({
    method: 'GET', path: '/api/docs/assets/:file', tag: 'Reference', auth: 'public', role: 'public',
    summary: 'The reference page’s scripts and styles (served from this server, never a CDN)',
    params: z.object({ file: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/) }),
    produces: { status: 200, contentType: 'application/javascript', description: 'A script, a style sheet or an icon' },
  }),
} as const;

/**
 * Every HTTP route of Threadline, by feature: the server registers its schemas from these, the web app's calls are
 * derived from them, and /api/openapi.json is generated from them.
 */
export const routes = {
  auth: authRoutes,
  accounts: accountsRoutes,
  apiKeys: apiKeysRoutes,
  teammates: teammatesRoutes,
  inbox: inboxRoutes,
  sending: sendingRoutes,
  labels: labelsRoutes,
  cannedReplies: cannedRepliesRoutes,
  contacts: contactsRoutes,
  workflow: workflowRoutes,
  crm: crmRoutes,
  webhookAdmin: webhookAdminRoutes,
  platform: platformRoutes,
  docs: docsRoutes,
} as const;

function isRoute(value: object): value is RouteDef {
  return 'method' in value && 'path' in value;
}

function collect(group: object, into: RouteDef[]): RouteDef[] {
  for (const value of Object.values(group)) {
    if (typeof value !== 'object' || value === null) continue;
    if (isRoute(value)) into.push(value);
    else collect(value, into);
  }
  return into;
}

/** The table as a list, in the order written. */
export const allRoutes: readonly RouteDef[] = collect(routes, []);
