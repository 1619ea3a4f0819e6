import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import {
  hasZodFastifySchemaValidationErrors,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from '../shared/logger.ts';
import { createLogGate, redactUrl } from '../shared/logger.ts';
import { isConnectionError } from '../shared/db-errors.ts';
import { isAppError } from '../shared/errors.ts';
import { trackRequestsPerConnection } from './connections.ts';

/** How long a client may take (HTTP_*_TIMEOUT_SECONDS), so slow or idle clients cannot hold connections open. */
export type HttpTimeouts = { requestMs: number; headersMs: number; idleMs: number; keepAliveMs: number };

/** Node's defaults for these, for servers built without a config (tests of one plugin). */
export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = { requestMs: 120_000, headersMs: 30_000, idleMs: 90_000, keepAliveMs: 72_000 };

export type HttpServerOptions = {
  logger: Logger;
  bodyLimitBytes: number;
  timeouts?: HttpTimeouts;
  trustProxy: false | number | string[];
  /** Strict-Transport-Security on every answer: set when PUBLIC_BASE_URL is https */
  hsts: boolean;
};

/** Two years, subdomains included: browsers then never try plain http for this host (nginx sends the same). */
export const HSTS_VALUE = 'max-age=63072000; includeSubDomains';

export type App = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  Logger,
  ZodTypeProvider
>;

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** Fastify configured the Threadline way: zod schemas, one error shape, request ids, redacted request logs. */
export function createHttpServer(opts: HttpServerOptions): App {
  const timeouts = opts.timeouts ?? DEFAULT_HTTP_TIMEOUTS;
  const app = Fastify({
    loggerInstance: opts.logger,
    bodyLimit: opts.bodyLimitBytes,
    // the whole request (an upload included) and its headers (slowloris); live streams are unaffected: their request
    // is complete at once, and their heartbeat keeps the connection from idling out
    requestTimeout: timeouts.requestMs,
    connectionTimeout: timeouts.idleMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    http: { headersTimeout: timeouts.headersMs, connectionsCheckingInterval: Math.max(250, Math.min(5_000, Math.floor(timeouts.headersMs / 4))) },
    // A hop count trusts the nearest N addresses (the socket's peer first): Fastify's own number form trusts none.
    trustProxy: typeof opts.trustProxy === 'number' ? trustNearestHops(opts.trustProxy) : opts.trustProxy,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
  }).withTypeProvider<ZodTypeProvider>();

  // closing waits for the requests under way, not for connections that carry none (connections.ts)
  const connections = trackRequestsPerConnection(app.server);
  app.addHook('preClose', async () => connections.beginClosing());

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.register(cookie);

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    if (opts.hsts) reply.header('strict-transport-security', HSTS_VALUE);
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });

  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send(errorBody('http.not_found', `No route for ${req.method} ${redactUrl(req.url).split('?')[0]}`, req.id));
  });

  const unreachableGate = createLogGate(5_000);
  app.setErrorHandler((error: FastifyError, req, reply) => {
    if (isAppError(error)) {
      for (const [k, v] of Object.entries(error.headers)) reply.header(k, v);
      if (error.statusCode >= 500) req.log.error({ err: error }, error.message);
      else if (error.logDetails) req.log.warn({ code: error.code, ...error.logDetails }, error.message);
      return reply.code(error.statusCode).send(errorBody(error.code, error.message, req.id, error.details));
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const problems = error.validation.map((v) => {
        const where = v.instancePath ? v.instancePath.slice(1).replaceAll('/', '.') : '';
        return `${error.validationContext ?? 'request'}${where ? `.${where}` : ''}: ${v.message}`;
      });
      return reply.code(400).send(errorBody('request.invalid', problems.join('; '), req.id));
    }
    const mapped = mapFastifyError(error);
    if (mapped) return reply.code(mapped.status).send(errorBody(mapped.code, mapped.message, req.id));
    if (isConnectionError(error)) {
      // the database is restarting or unreachable: nothing is wrong with the request, try again shortly
      unreachableGate('db', () => req.log.warn({ err: error }, 'request failed: the database cannot be reached'));
      return reply
        .code(503)
        .header('retry-after', '2')
        .send(errorBody('database.unavailable', 'The database is unavailable for a moment; try again shortly.', req.id));
    }
    req.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send(errorBody('internal', 'Something went wrong on our side; it has been logged.', req.id));
  });

  return app;
}

function trustNearestHops(hops: number) {
  return (_address: string, hop: number) => hop < hops;
}

function mapFastifyError(error: FastifyError): { status: number; code: string; message: string } | null {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, code: 'request.malformed_json', message: 'The request body is not valid JSON.' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, code: 'request.too_large', message: 'The request body is too large.' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, code: 'request.unsupported_media_type', message: 'Unsupported Content-Type.' };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, code: 'request.invalid_length', message: 'Content-Length does not match the body.' };
    default:
      if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
        return { status: error.statusCode, code: 'request.rejected', message: error.message };
      }
      return null;
  }
}

export function errorBody(code: string, message: string, requestId: string, details?: Record<string, unknown>) {
  return { error: { code, message, ...(details ? { details } : {}) }, request_id: requestId };
}
