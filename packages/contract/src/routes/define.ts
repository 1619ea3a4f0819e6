import type { z } from 'zod';
import type { ApiKeyScope } from '../api-keys.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call a route: `public` (anyone; `role` says what protects it instead), `session` (a signed-in person,
 * bearer token or cookie), `api_key` (a CRM's `X-API-Key` with `scope`).
 */
export type RouteAuthMode = 'public' | 'session' | 'api_key';

/**
 * What the caller must be beyond authenticated, in the security suite's words: `user` (anyone signed in), `admin`
 * (an instance administrator), `account:<role>` (on the account in the path), `session-account:<role>` (on the
 * session's or key's account), `conversation:<role>`, `media:<role>`, or `public` / `public:<what protects it>`.
 */
export type RouteRole = string;

/** One HTTP route: written once here, registered by the server, called by the web app, published as OpenAPI. */
export type RouteDef = {
  readonly method: HttpMethod;
  /** Fastify's pattern: `:name` for a path parameter, `*` for the rest */
  readonly path: string;
  readonly summary: string;
  /** the OpenAPI tag (the reference page's section) */
  readonly tag: string;
  readonly auth: RouteAuthMode;
  readonly scope?: ApiKeyScope;
  readonly role: RouteRole;
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  /** the body is documented here but checked by the handler itself (after the Idempotency-Key lookup) */
  readonly bodyCheckedByHandler?: boolean;
  /** the JSON answers, by status code */
  readonly response?: { readonly [status: number]: z.ZodType };
  /** a request body that is not JSON (the raw bytes of an upload, a signed webhook): its content types */
  readonly consumes?: readonly string[];
  /** an answer that is not JSON (a file, a stream, a redirect, a page): its content type and what it is */
  readonly produces?: { readonly status: number; readonly contentType: string; readonly description: string };
  /** shown in the reference (a header the route reads, what happens next) */
  readonly description?: string;
  /** request headers the route reads */
  readonly headers?: readonly { readonly name: string; readonly description: string; readonly required?: boolean }[];
};

/** Checks an entry against RouteDef while keeping its exact schema types for the server and the web client. */
export function defineRoute<const R extends RouteDef>(route: R): R {
  return route;
}

/** The same route for the web app (`/api/v1/ui/…`, a session) and for a CRM (`/api/v1/…`, an API key with `scope`). */
export function uiAndApi<const R extends Omit<RouteDef, 'path' | 'auth' | 'scope'>, const S extends ApiKeyScope>(
  path: `/${string}`,
  scope: S,
  route: R,
): { ui: R & { path: string; auth: 'session' }; api: R & { path: string; auth: 'api_key'; scope: S } } {
  return {
    ui: { ...route, path: `/api/v1/ui${path}`, auth: 'session' },
    api: { ...route, path: `/api/v1${path}`, auth: 'api_key', scope },
  };
}

/** The first 2xx JSON answer's schema: what a caller gets back. */
export type SuccessSchema<R extends RouteDef> = R['response'] extends { readonly 200: infer S extends z.ZodType }
  ? S
  : R['response'] extends { readonly 201: infer S extends z.ZodType }
    ? S
    : R['response'] extends { readonly 202: infer S extends z.ZodType }
      ? S
      : undefined;

/** `/api/v1/accounts/:id/labels` with `{ id }` filled in, each value URL-encoded. */
export function fillPath(path: string, params: Readonly<Record<string, string | number>> | undefined): string {
  return path.replace(/:([A-Za-z_]\w*)/g, (_whole, name: string) => {
    const value = params?.[name];
    if (value === undefined) throw new Error(`${path}: no value for :${name}`);
    return encodeURIComponent(String(value));
  });
}

/** A route's URL: the path with its parameters filled in, and the defined query values, each URL-encoded. */
export function routeUrl(
  route: Pick<RouteDef, 'path'>,
  args: { params?: Readonly<Record<string, string | number>>; query?: Readonly<Record<string, unknown>> } = {},
): string {
  const query = Object.entries(args.query ?? {})
    .filter((entry): entry is [string, string | number | boolean] => {
      const value = entry[1];
      return typeof value === 'string' ? value !== '' : typeof value === 'number' || typeof value === 'boolean';
    })
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`);
  const path = fillPath(route.path, args.params);
  return query.length > 0 ? `${path}?${query.join('&')}` : path;
}
