import type { Logger } from 'pino';
import type { z } from 'zod';
import { errorFromAnswer, GraphApiError } from './graph-errors.ts';
import type { RequestContext } from './graph-errors.ts';
import { EMPTY_USAGE, parseUsageHeaders } from './graph-usage.ts';
import type { GraphUsage } from './graph-usage.ts';
import { neverConnected, trackWire } from './graph-wire.ts';
import { parseJsonPreservingBigInts } from './webhook-payload.ts';

/**
 * One HTTP exchange with Meta: deadline, big-int-safe JSON, usage headers, typed errors, and a log line that holds
 * method, path, status and duration only (never a URL query, a header or a body: those carry tokens).
 */

export const DEFAULT_GRAPH_TIMEOUT_MS = 15_000;

export interface TransportOptions {
  timeoutMs: number;
  /** Node's global fetch when undefined. */
  fetch: typeof fetch | undefined;
  log: Logger | undefined;
}

export interface GraphRequest {
  method: 'GET' | 'POST' | 'DELETE';
  /** Full URL. Only the token endpoints put a token in its query; it is never logged nor put in an error. */
  url: URL;
  /** Sent as `Authorization: Bearer …`. */
  bearer?: string;
  json?: unknown;
  form?: URLSearchParams;
  /** Whether repeating it is harmless; decides how a lost answer is classified. */
  idempotent: boolean;
}

export interface GraphAnswer {
  status: number;
  body: unknown;
  usage: GraphUsage;
  context: RequestContext;
}

export interface Transport {
  /** Resolves with a 2xx answer; throws GraphApiError for anything else. */
  call(request: GraphRequest): Promise<GraphAnswer>;
}

function parseBody(text: string): unknown {
  if (text.trim() === '') return null;
  try {
    return parseJsonPreservingBigInts(text);
  } catch {
    return text;
  }
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

export function createTransport(options: TransportOptions): Transport {
  const doFetch = options.fetch ?? fetch;
  const usesNodeFetch = options.fetch === undefined;
  const log = options.log;

  async function call(request: GraphRequest): Promise<GraphAnswer> {
    const context: RequestContext = { method: request.method, path: request.url.pathname, idempotent: request.idempotent };
    const headers: Record<string, string> = { accept: 'application/json' };
    if (request.bearer !== undefined) headers['authorization'] = `Bearer ${request.bearer}`;
    let body: string | URLSearchParams | undefined;
    if (request.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(request.json);
    } else if (request.form !== undefined) body = request.form;

    const wire = trackWire(usesNodeFetch);
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    // Filled in as the answer arrives: a failure after its head is known to have been sent.
    const head: { status: number | null; headers: Headers | null; usage: GraphUsage | null } = {
      status: null,
      headers: null,
      usage: null,
    };
    let text: string;
    try {
      text = await wire.run(async () => {
        const response = await doFetch(request.url, {
          method: request.method,
          headers,
          ...(body === undefined ? {} : { body }),
          redirect: 'error',
          signal: AbortSignal.timeout(options.timeoutMs),
        });
        head.status = response.status;
        head.headers = response.headers;
        head.usage = parseUsageHeaders(response.headers);
        return response.text();
      });
    } catch (cause) {
      const timedOut = isTimeout(cause);
      // An answer whose head arrived was certainly sent, even if its body was then cut off.
      const requestSent = head.status !== null ? 'yes' : neverConnected(cause) ? 'no' : wire.sent();
      const error = new GraphApiError({
        ...context,
        failure: timedOut ? 'timeout' : 'network',
        message: timedOut ? `No answer within ${options.timeoutMs} ms` : 'The connection to the Graph API failed',
        httpStatus: head.status,
        code: null,
        subcode: null,
        type: null,
        requestSent,
        ...(head.usage === null ? {} : { usage: head.usage }),
        cause,
      });
      log?.warn({ ...context, status: head.status, durationMs: elapsed(), failure: error.failure, requestSent }, 'graph call failed');
      throw error;
    }
    const answer: GraphAnswer = {
      status: head.status ?? 0,
      body: parseBody(text),
      usage: head.usage ?? EMPTY_USAGE,
      context,
    };
    if (answer.status >= 200 && answer.status < 300) {
      log?.debug({ ...context, status: answer.status, durationMs: elapsed() }, 'graph call');
      return answer;
    }
    const error = errorFromAnswer(context, { ...answer, headers: head.headers });
    log?.warn(
      {
        ...context,
        status: answer.status,
        durationMs: elapsed(),
        failure: error.failure,
        code: error.code,
        subcode: error.subcode,
        fbtraceId: error.fbtraceId,
      },
      'graph call failed',
    );
    throw error;
  }

  return { call };
}

/** Parses a 2xx body with `schema`; a body of another shape becomes an `invalid_response` GraphApiError. */
export function parseAnswer<S extends z.ZodType>(schema: S, answer: GraphAnswer): z.output<S> {
  const parsed = schema.safeParse(answer.body);
  if (parsed.success) return parsed.data;
  throw new GraphApiError({
    ...answer.context,
    failure: 'invalid_response',
    message: `Unexpected Graph API answer: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'} ${i.message}`).join('; ')}`,
    httpStatus: answer.status,
    code: null,
    subcode: null,
    type: null,
    usage: answer.usage,
    requestSent: 'yes',
  });
}

/** `base` (which may end in `/`) + `path`, with query parameters. */
export function endpoint(base: string, path: string, query: Record<string, string | undefined> = {}): URL {
  const url = new URL(`${base.replace(/\/+$/, '')}${path}`);
  for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, value);
  return url;
}
