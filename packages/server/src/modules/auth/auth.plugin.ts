import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiKeyScope } from '@threadline/contract';
import type { App } from '../../http/server.ts';
import type { AuthService, SessionAuth } from './auth.service.ts';
import { authErrors } from './auth.errors.ts';

export type ApiKeyAuth = { kind: 'api_key'; keyId: string; accountId: string; scopes: ApiKeyScope[] };
export type RequestAuth = SessionAuth | ApiKeyAuth;

/** Who may call a route: set per route as `config: { auth: … }`; every /api route is 'session' unless it says otherwise. */
export type RouteAuth = 'public' | 'session' | 'api_key' | 'session_or_api_key';

declare module 'fastify' {
  interface FastifyRequest {
    auth: RequestAuth | null;
  }
  interface FastifyInstance {
    /** Every route's auth mode, by "METHOD /path" as declared (the security suite checks it against its table). */
    routeAuthModes: ReadonlyMap<string, RouteAuth>;
  }
  interface FastifyContextConfig {
    auth?: RouteAuth;
    apiKeyScope?: ApiKeyScope;
  }
}

export type AuthPluginOptions = {
  auth: AuthService;
  authenticateApiKey: (key: string, requiredScope: ApiKeyScope | undefined) => Promise<ApiKeyAuth>;
  cookieName: string;
  publicOrigin: string;
};

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A route's auth mode: what it declares, else 'session' for /api routes and 'public' elsewhere. Always read from the
 * matched route's pattern, never from the raw URL: `/%61pi/v1/…` matches an /api route but does not start with /api/.
 */
export function routeAuthMode(route: { url: string; config?: { auth?: RouteAuth | undefined } | undefined }): RouteAuth {
  return route.config?.auth ?? (route.url.startsWith('/api/') ? 'session' : 'public');
}

/** One authentication hook for all of /api: bearer or cookie sessions, API keys, CSRF for cookie requests. */
export const authPlugin = fp<AuthPluginOptions>(
  async (app, opts) => {
    app.decorateRequest('auth', null);
    const modes = new Map<string, RouteAuth>();
    app.decorate('routeAuthModes', modes);
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) modes.set(`${method} ${route.url}`, routeAuthMode(route));
    });
    app.addHook('onRequest', async (req: FastifyRequest, _reply: FastifyReply) => {
      // No matched route: let the not-found handler answer 404 rather than demanding a session.
      const url = req.routeOptions.url;
      if (url === undefined) return;
      const mode = routeAuthMode({ url, config: req.routeOptions.config });
      if (mode === 'public') return;
      const apiKey = req.headers['x-api-key'];
      if ((mode === 'api_key' || mode === 'session_or_api_key') && typeof apiKey === 'string') {
        req.auth = await opts.authenticateApiKey(apiKey, req.routeOptions.config.apiKeyScope);
        return;
      }
      if (mode === 'api_key') throw authErrors.missingApiKey();
      const { token, fromCookie } = readSessionToken(req, opts.cookieName);
      if (!token) throw authErrors.missingToken();
      if (fromCookie && !SAFE_METHODS.has(req.method)) assertSameOrigin(req, opts.publicOrigin);
      req.auth = await opts.auth.authenticate(token);
    });
  },
  { name: 'threadline-auth', dependencies: ['@fastify/cookie'] },
);

function readSessionToken(req: FastifyRequest, cookieName: string): { token: string | null; fromCookie: boolean } {
  const header = req.headers.authorization;
  if (typeof header === 'string' && header.length > 0) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return { token: match?.[1] ?? null, fromCookie: false };
  }
  const cookie = req.cookies[cookieName];
  return { token: cookie && cookie.length > 0 ? cookie : null, fromCookie: true };
}

/**
 * Cookies ride along on cross-site requests; bearer tokens do not. So a cookie-authenticated change must
 * come from our own origin: Origin must match, or (when a browser sends no Origin) Sec-Fetch-Site must say so.
 */
export function assertSameOrigin(req: FastifyRequest, publicOrigin: string): void {
  const origin = req.headers.origin;
  if (typeof origin === 'string' && origin !== 'null') {
    if (origin === publicOrigin) return;
    throw authErrors.crossSiteFrom(origin);
  }
  const site = req.headers['sec-fetch-site'];
  if (site === 'same-origin' || site === 'none') return;
  throw authErrors.crossSiteWithoutProof();
}

/** Whoever the auth hook let through (a session or an API key), for routes that take both. */
export function authOf(req: FastifyRequest): RequestAuth {
  if (!req.auth) throw authErrors.missingToken();
  return req.auth;
}

export function requireSession(req: FastifyRequest): SessionAuth {
  if (req.auth?.kind === 'session') return req.auth;
  throw authErrors.missingToken();
}

export function requireAdmin(req: FastifyRequest): SessionAuth {
  const auth = requireSession(req);
  if (!auth.isAdmin) throw authErrors.adminOnly();
  return auth;
}

export type { App };
