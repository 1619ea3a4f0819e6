import { INSTAGRAM_GRAPH_VERSION_PATTERN } from '@threadline/contract';
import { GraphClientConfigError } from './graph-errors.ts';
import { endpoint } from './graph-transport.ts';
import type { GraphAnswer, Transport } from './graph-transport.ts';

/** Versioned Graph calls (`{graphUrl}/{version}{path}`) with the token in `Authorization: Bearer`, never the URL. */

export type Query = Record<string, string | undefined>;

export interface GraphCaller {
  get(token: string, path: string, query?: Query): Promise<GraphAnswer>;
  /** `idempotent`: whether repeating the call is harmless (a subscription is; a send is not). */
  post(token: string, path: string, query: Query, json: unknown, idempotent: boolean): Promise<GraphAnswer>;
  delete(token: string, path: string, query?: Query): Promise<GraphAnswer>;
}

export function createGraphCaller(transport: Transport, graphUrl: string, graphVersion: string): GraphCaller {
  if (!INSTAGRAM_GRAPH_VERSION_PATTERN.test(graphVersion))
    throw new GraphClientConfigError(`Graph API version must look like v25.0, got "${graphVersion}"`);
  const url = (path: string, query: Query = {}) => endpoint(graphUrl, `/${graphVersion}${path}`, query);
  return {
    get: (token, path, query) => transport.call({ method: 'GET', url: url(path, query), bearer: token, idempotent: true }),
    post: (token, path, query, json, idempotent) =>
      transport.call({ method: 'POST', url: url(path, query), bearer: token, idempotent, ...(json === undefined ? {} : { json }) }),
    delete: (token, path, query) => transport.call({ method: 'DELETE', url: url(path, query), bearer: token, idempotent: true }),
  };
}
