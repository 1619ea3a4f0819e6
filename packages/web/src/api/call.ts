import type { z } from 'zod';
import { fillPath, routeUrl, type RouteDef } from '@threadline/contract';
import type { ApiClient } from './client.ts';

/** The first 2xx JSON answer of a route: what a call resolves to. */
type Success<R extends RouteDef> = R extends { response: { 200: infer S extends z.ZodType } }
  ? S
  : R extends { response: { 201: infer S extends z.ZodType } }
    ? S
    : R extends { response: { 202: infer S extends z.ZodType } }
      ? S
      : never;

/** A route the web app can call: one that answers JSON. */
type JsonRoute = RouteDef & { response: { readonly [status: number]: z.ZodType } };

/** What a call of route R takes: its path parameters, query and body as the contract types them. */
export type CallArgs<R extends RouteDef> = (R extends { params: infer P extends z.ZodType } ? { params: z.input<P> } : { params?: never }) &
  (R extends { query: infer Q extends z.ZodType } ? { query?: z.input<Q> } : { query?: never }) &
  (R extends { body: infer B extends z.ZodType } ? { body: z.input<B> } : { body?: never }) & {
    /** A file upload: the raw bytes, sent with the file's own Content-Type. */
    file?: Blob;
    headers?: Record<string, string>;
    /** A 401 here is an answer (wrong password), not an expired session. */
    allowUnauthorized?: boolean;
    signal?: AbortSignal;
  };

function successSchema(def: JsonRoute): z.ZodType {
  const schema = def.response[200] ?? def.response[201] ?? def.response[202];
  if (!schema) throw new Error(`${def.method} ${def.path} answers no JSON`);
  return schema;
}

/**
 * Calls routes of the contract's table: the path is filled from typed parameters, the query and body are typed by
 * the route's zod schemas, and the answer is parsed with its response schema. No path is written by hand.
 */
export function createCaller(api: ApiClient) {
  return async function call<R extends JsonRoute>(
    def: R,
    ...[args]: object extends CallArgs<R> ? [args?: CallArgs<R>] : [args: CallArgs<R>]
  ): Promise<z.output<Success<R>>> {
    const params: Readonly<Record<string, string | number>> | undefined = args?.params;
    const answer = await api.request(def.method, fillPath(def.path, params), {
      schema: successSchema(def),
      ...(args?.body !== undefined ? { body: args.body } : {}),
      ...(args?.query !== undefined ? { query: args.query } : {}),
      ...(args?.file ? { file: args.file } : {}),
      ...(args?.headers ? { headers: args.headers } : {}),
      ...(args?.allowUnauthorized ? { allowUnauthorized: true } : {}),
      ...(args?.signal ? { signal: args.signal } : {}),
    });
    // The one assertion of the caller: `answer` was parsed by successSchema(def), which is Success<R> at run time;
    // TypeScript cannot follow the lookup by status code through the generic.
    return answer as z.output<Success<R>>;
  };
}

export type Call = ReturnType<typeof createCaller>;

/** The URL of a route the browser navigates to or streams from (a login, the live updates), typed like a call. */
export function urlOf<R extends RouteDef>(def: R, args: Pick<CallArgs<R>, 'params' | 'query'>): string {
  const params: Readonly<Record<string, string | number>> | undefined = args.params;
  const query: Readonly<Record<string, unknown>> | undefined = args.query;
  return routeUrl(def, { ...(params ? { params } : {}), ...(query ? { query } : {}) });
}
