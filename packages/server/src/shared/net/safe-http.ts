import { performance } from 'node:perf_hooks';
import { Agent, request as undiciRequest } from 'undici';
import type { Cidr } from './ip-policy.ts';
import { OutboundError, isOutboundError } from './outbound-errors.ts';
import { createPinnedConnector } from './pinned-connector.ts';
import { checkOutboundUrl } from './url-policy.ts';
import type { LookupAllFunction } from './url-policy.ts';

export const DEFAULT_MAX_RESPONSE_BYTES = 65_536;

export type SafeHttpClientOptions = {
  /** networks the operator opened despite being private (CRM_ALLOWED_NETWORKS) */
  readonly allowedNetworks: readonly Cidr[];
  readonly connectTimeoutMs: number;
  /** plain http: for development and tests only; default false */
  readonly allowHttp?: boolean;
  /** replaces dns.lookup (tests play a rebinding resolver with it) */
  readonly lookup?: LookupAllFunction;
  readonly allowlistSetting?: string;
};

export type SafeHttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export type SafeHttpRequest = {
  readonly url: string;
  readonly method?: SafeHttpMethod;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  /** the whole attempt: connect, send, answer headers and the body we read */
  readonly timeoutMs: number;
  readonly maxResponseBytes?: number;
};

export type SafeHttpResponse = {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** at most maxResponseBytes of the body, decoded as UTF-8 */
  readonly bodyText: string;
  /** the same bytes, undecoded (media downloads) */
  readonly bodyBytes: Uint8Array;
  /** the receiver sent more than maxResponseBytes; the rest was not read and the connection was dropped */
  readonly truncated: boolean;
  readonly durationMs: number;
};

export type SafeHttpClient = {
  /** Resolves with any HTTP answer (3xx, 4xx, 5xx included: redirects are never followed); throws OutboundError. */
  request(request: SafeHttpRequest): Promise<SafeHttpResponse>;
  close(): Promise<void>;
};

/**
 * An HTTP client for destinations that users configure (CRM webhooks): every connection goes to an address
 * that was checked at connect time (see pinned-connector.ts), nothing is followed, nothing is read past
 * a limit, and every attempt has a deadline.
 */
export function createSafeHttpClient(options: SafeHttpClientOptions): SafeHttpClient {
  const agent = new Agent({
    connect: createPinnedConnector(options),
    // the attempt deadline below is the one that counts; these only keep undici from waiting longer
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  const policy = {
    allowHttp: options.allowHttp ?? false,
    allowedNetworks: options.allowedNetworks,
    ...(options.allowlistSetting === undefined ? {} : { allowlistSetting: options.allowlistSetting }),
  };

  async function request(input: SafeHttpRequest): Promise<SafeHttpResponse> {
    const checked = checkOutboundUrl(input.url, policy);
    if (!checked.ok) throw checked.error;
    const url = checked.url;
    const maxBytes = input.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    const started = performance.now();
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), input.timeoutMs);
    try {
      const response = await undiciRequest(url, {
        dispatcher: agent,
        method: input.method ?? 'POST',
        headers: { ...input.headers },
        body: input.body ?? null,
        signal: deadline.signal,
      });
      const { bytes, truncated } = await readAtMost(response.body, maxBytes);
      return {
        status: response.statusCode,
        headers: flattenHeaders(response.headers),
        bodyText: new TextDecoder().decode(bytes),
        bodyBytes: bytes,
        truncated,
        durationMs: Math.round(performance.now() - started),
      };
    } catch (error) {
      throw toOutboundError(error, url.origin, deadline.signal.aborted ? input.timeoutMs : undefined);
    } finally {
      clearTimeout(timer);
    }
  }

  return { request, close: () => agent.close() };
}

type Body = AsyncIterable<Uint8Array> & { destroy(error?: Error): unknown };

/** Reads up to `limit` bytes; past that, destroys the body, which makes undici drop the connection. */
async function readAtMost(body: Body, limit: number): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  const chunks: Uint8Array[] = [];
  let received = 0;
  let truncated = false;
  for await (const chunk of body) {
    const room = limit - received;
    if (chunk.byteLength > room) {
      chunks.push(chunk.subarray(0, room));
      received += room;
      truncated = true;
      break;
    }
    chunks.push(chunk);
    received += chunk.byteLength;
  }
  if (truncated) body.destroy();
  return { bytes: Buffer.concat(chunks, received), truncated };
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    if ('code' in current && typeof current.code === 'string') codes.push(current.code);
    if (current instanceof AggregateError) codes.push(...current.errors.flatMap((inner: unknown) => errorCodes(inner)));
    current = current.cause;
  }
  return codes;
}

function findOutboundError(error: unknown): OutboundError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    if (isOutboundError(current)) return current;
    current = current.cause;
  }
  return undefined;
}

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|DEPTH_ZERO_|SELF_SIGNED_|UNABLE_TO_|HOSTNAME_MISMATCH)/;

/** Maps what undici and node throw to our vocabulary. Messages name the origin only (no path, no query). */
function toOutboundError(error: unknown, origin: string, deadlineMs: number | undefined): OutboundError {
  const known = findOutboundError(error);
  if (known !== undefined) return known;
  if (deadlineMs !== undefined) {
    return new OutboundError('net.timeout', `${origin} did not answer completely within ${deadlineMs} ms`, { cause: error });
  }
  const codes = errorCodes(error);
  const has = (...wanted: string[]) => codes.some((code) => wanted.includes(code));
  if (has('UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT')) {
    return new OutboundError('net.timeout', `connecting to ${origin} timed out`, { cause: error });
  }
  if (has('ECONNREFUSED')) {
    return new OutboundError('net.connection_refused', `${origin} refused the connection`, { cause: error });
  }
  if (has('ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNABORTED')) {
    return new OutboundError('net.connection_reset', `${origin} closed the connection before a complete answer`, { cause: error });
  }
  if (codes.some((code) => TLS_CODE.test(code))) {
    return new OutboundError('net.tls_failed', `the TLS handshake with ${origin} failed (${codes[0] ?? 'unknown'})`, { cause: error });
  }
  const detail = codes[0] ?? (error instanceof Error ? error.name : 'unknown error');
  return new OutboundError('net.request_failed', `the request to ${origin} failed (${detail})`, { cause: error });
}
