import { pino, type Logger, type LoggerOptions } from 'pino';
import { describeDbError, isConnectionError, isDbError } from './db-errors.ts';

export type { Logger };

/** Query parameters whose values are secrets wherever they appear (OAuth codes, tokens, verify tokens). */
const SECRET_QUERY_KEYS = new Set([
  'code',
  'access_token',
  'client_secret',
  'state',
  'hub.verify_token',
  'signed_request',
  'fb_exchange_token',
  'token',
  'invitation',
]);

/** Paths that are themselves secrets: the signed upload links Meta fetches attachments from. */
const SECRET_PATH = /^\/media\/public\/[^?]*/;

/** A URL with every secret-bearing query value (and secret path) replaced, safe to log. */
export function redactUrl(input: string): string {
  const url = input.replace(SECRET_PATH, '/media/public/[redacted]');
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  for (const key of [...params.keys()]) {
    if (SECRET_QUERY_KEYS.has(key.toLowerCase())) params.set(key, '[redacted]');
  }
  return `${url.slice(0, q)}?${params.toString()}`;
}

/** Second line of defence: paths pino blanks even if a secret reaches a log call by mistake. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-hub-signature-256"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.passwordHash',
  '*.token',
  '*.accessToken',
  '*.access_token',
  '*.refreshToken',
  '*.client_secret',
  '*.clientSecret',
  '*.secret',
  '*.webhookSecret',
  '*.webhook_secret',
  '*.apiKey',
  '*.key',
];

type RequestLike = { method?: string; url?: string; id?: unknown; ip?: string; socket?: { remotePort?: number } };

/** Properties of an error that are data, not description: never copied into a log line. */
const ERROR_DATA_KEYS = new Set(['query', 'params', 'parameters', 'body', 'detail', 'where', 'internalQuery', 'raw', 'request', 'response']);

/**
 * How an error appears in logs. A database error (or one caused by it) shows its code, constraint and statement and
 * never its parameters or quoted values (see db-errors.ts); any other error shows its type, message, stack and
 * primitive properties (codes, statuses), and its cause the same way. pino's own serializer would append every
 * cause's message, a Drizzle error's parameters included.
 */
export function serializeError(error: unknown, depth = 0): Record<string, unknown> {
  if (isDbError(error) || isConnectionError(error)) return { ...describeDbError(error) };
  if (!(error instanceof Error)) return { type: typeof error, message: String(error) };
  const out: Record<string, unknown> = { type: error.constructor.name, message: error.message, stack: error.stack };
  for (const [key, value] of Object.entries(error)) {
    if (ERROR_DATA_KEYS.has(key) || key in out) continue;
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) out[key] = value;
  }
  if (error instanceof AggregateError && depth < 3) out.errors = error.errors.slice(0, 5).map((e: unknown) => serializeError(e, depth + 1));
  if (error.cause !== undefined && depth < 5) out.cause = serializeError(error.cause, depth + 1);
  return out;
}

/** How a request appears in logs: its URL with secret query values replaced (OAuth codes, verify tokens, …). */
export const logSerializers = {
  req(req: RequestLike) {
    return { method: req.method, url: redactUrl(req.url ?? ''), id: req.id, remoteAddress: req.ip };
  },
  err: (error: unknown) => serializeError(error),
};

export function loggerOptions(level: string, pretty: boolean): LoggerOptions {
  return {
    level,
    serializers: logSerializers,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } } : {}),
  };
}

export function createLogger(level: string, pretty: boolean): Logger {
  return pino(loggerOptions(level, pretty));
}

/**
 * Calls `fn` at most once per `ms` for each key: a database that is down makes every worker fail on every poll,
 * and one line every few seconds says as much as a hundred.
 */
export function createLogGate(ms: number, now: () => number = Date.now) {
  const last = new Map<string, number>();
  return (key: string, fn: () => void) => {
    const t = now();
    if ((last.get(key) ?? -Infinity) + ms > t) return;
    last.set(key, t);
    fn();
  };
}
