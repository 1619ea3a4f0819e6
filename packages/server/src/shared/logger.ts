import { pino, type Logger, type LoggerOptions } from 'pino';

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
]);

/** A URL with every secret-bearing query value replaced, safe to log. */
export function redactUrl(url: string): string {
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

/** How a request appears in logs: its URL with secret query values replaced (OAuth codes, verify tokens, …). */
export const logSerializers = {
  req(req: RequestLike) {
    return { method: req.method, url: redactUrl(req.url ?? ''), id: req.id, remoteAddress: req.ip };
  },
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
