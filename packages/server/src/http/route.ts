import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { FastifyContextConfig, FastifySchema, LogLevel, RouteGenericInterface, RouteHandlerMethod } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { RouteDef } from '@threadline/contract';
import type { Logger } from '../shared/logger.ts';
import type { App } from './server.ts';

/** The Fastify schema a table entry stands for: what the handler's request and reply are typed by. */
export type SchemaOf<R extends RouteDef> = {
  params: R extends { params: infer S } ? S : undefined;
  querystring: R extends { query: infer S } ? S : undefined;
  body: R extends { bodyCheckedByHandler: true } ? undefined : R extends { body: infer S } ? S : undefined;
  response: R extends { response: infer S } ? S : undefined;
};

export type RouteHandler<R extends RouteDef> = RouteHandlerMethod<
  Server,
  IncomingMessage,
  ServerResponse,
  RouteGenericInterface,
  FastifyContextConfig,
  SchemaOf<R>,
  ZodTypeProvider,
  Logger
>;

/** What a route needs beyond its contract: quieter request logs, a larger body. */
export type RouteExtras = { logLevel?: LogLevel; bodyLimit?: number };

/** The Fastify schema of a table entry: only the parts it has (a body the handler checks itself is left out). */
export function fastifySchemaOf(def: RouteDef): FastifySchema {
  return {
    ...(def.params ? { params: def.params } : {}),
    ...(def.query ? { querystring: def.query } : {}),
    ...(def.body && !def.bodyCheckedByHandler ? { body: def.body } : {}),
    ...(def.response ? { response: def.response } : {}),
  };
}

/** Who may call it, as the auth hook reads it (`config.auth`, `config.apiKeyScope`). */
export function routeConfigOf(def: RouteDef): FastifyContextConfig {
  return def.scope ? { auth: def.auth, apiKeyScope: def.scope } : { auth: def.auth };
}

/**
 * Registers a route of the contract's table: its method, path, schemas and auth come from the table, so they are
 * written once; the handler is typed by the entry's zod schemas.
 */
export function route<const R extends RouteDef>(app: App, def: R, handler: RouteHandler<R>, extras: RouteExtras = {}): void {
  app.route<RouteGenericInterface, FastifyContextConfig, SchemaOf<R>>({
    method: def.method,
    url: def.path,
    config: routeConfigOf(def),
    // The one assertion of the route table: fastifySchemaOf copies exactly the entry's schemas, which is what
    // SchemaOf<R> describes, but TypeScript cannot follow a conditional type through object spreads.
    schema: fastifySchemaOf(def) as SchemaOf<R>,
    handler,
    ...extras,
  });
}

/** `route` for an entry that needs extras (a quieter log, a larger body), named before the handler. */
export function routeWith<const R extends RouteDef>(app: App, def: R, extras: RouteExtras, handler: RouteHandler<R>): void {
  route(app, def, handler, extras);
}
