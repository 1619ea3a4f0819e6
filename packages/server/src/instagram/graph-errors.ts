import { z } from 'zod';
import { advisedWaitSeconds, EMPTY_USAGE } from './graph-usage.ts';
import type { GraphUsage } from './graph-usage.ts';

/**
 * Failures of the Instagram Graph API client, and what a caller should do about them (platform reference §6).
 * Callers branch on `classifyGraphError`, never on messages: Meta's wording changes, its codes do not.
 */

/** Where the failure came from. */
export type GraphFailure =
  /** Meta answered with its Graph error envelope `{error:{code, error_subcode, …}}`. */
  | 'graph'
  /** The code exchange endpoint answered with its own shape `{error_type, code, error_message}`. */
  | 'oauth'
  /** An HTTP error status without either envelope (a proxy's 502, a plain 429, …). */
  | 'http'
  /** No answer: connection refused, reset, DNS failure, … */
  | 'network'
  /** No answer within the client's deadline. */
  | 'timeout'
  /** A 2xx answer whose body is not the documented shape. */
  | 'invalid_response';

/** Whether the complete request reached the wire before the failure: `unknown` when the client cannot tell. */
export type RequestSent = 'no' | 'yes' | 'unknown';

export type GraphErrorClass =
  /** The token is invalid, expired or revoked: mark the account disconnected and ask for a new login. */
  | 'reauth'
  /** Rate limited: back off, for `retryAfterSeconds` when Meta advised a wait. */
  | 'throttled'
  /** Temporary: the same request may be retried (with backoff). */
  | 'transient'
  /** Outside the 24-hour (or 7-day HUMAN_AGENT) messaging window: do not retry. */
  | 'window_closed'
  /** The recipient blocked the account or cannot receive messages now: do not retry. */
  | 'recipient_unavailable'
  /** Retrying the same request cannot succeed. */
  | 'permanent'
  /** A non-idempotent request (a send) was written but no answer came: it may or may not have taken effect. */
  | 'unknown_outcome';

export interface GraphApiErrorInit {
  failure: GraphFailure;
  message: string;
  /** HTTP status of the answer; null when none came. */
  httpStatus: number | null;
  code: number | null;
  subcode: number | null;
  type: string | null;
  userTitle?: string | undefined;
  userMessage?: string | undefined;
  fbtraceId?: string | undefined;
  isTransient?: boolean | undefined;
  retryAfterSeconds?: number | undefined;
  usage?: GraphUsage;
  /** HTTP method and path (never the query string, which may hold a token). */
  method: string;
  path: string;
  /** Whether repeating the request is harmless (reads, subscriptions); false for sends and token exchanges. */
  idempotent: boolean;
  requestSent: RequestSent;
  cause?: unknown;
}

/** The one typed error of the Graph API client. It never carries a token, a secret or a URL with a query. */
export class GraphApiError extends Error {
  readonly failure: GraphFailure;
  readonly httpStatus: number | null;
  readonly code: number | null;
  readonly subcode: number | null;
  readonly type: string | null;
  readonly userTitle: string | undefined;
  readonly userMessage: string | undefined;
  readonly fbtraceId: string | undefined;
  readonly isTransient: boolean | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly usage: GraphUsage;
  readonly method: string;
  readonly path: string;
  readonly idempotent: boolean;
  readonly requestSent: RequestSent;

  constructor(init: GraphApiErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'GraphApiError';
    this.failure = init.failure;
    this.httpStatus = init.httpStatus;
    this.code = init.code;
    this.subcode = init.subcode;
    this.type = init.type;
    this.userTitle = init.userTitle;
    this.userMessage = init.userMessage;
    this.fbtraceId = init.fbtraceId;
    this.isTransient = init.isTransient;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.usage = init.usage ?? EMPTY_USAGE;
    this.method = init.method;
    this.path = init.path;
    this.idempotent = init.idempotent;
    this.requestSent = init.requestSent;
  }
}

/** The client lacks a setting a call needs (the Instagram app id or secret), or has an invalid one. */
export class GraphClientConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphClientConfigError';
  }
}

export function isGraphApiError(error: unknown): error is GraphApiError {
  return error instanceof GraphApiError;
}

// Lenient on purpose: a missing `type` or `fbtrace_id` must not hide the code and subcode a caller branches on.
const optionalString = z.string().optional().catch(undefined);
const graphEnvelopeSchema = z.object({
  error: z.object({
    message: z.string().catch(''),
    type: optionalString,
    code: z.number(),
    error_subcode: z.number().optional().catch(undefined),
    error_user_title: optionalString,
    error_user_msg: optionalString,
    fbtrace_id: optionalString,
    is_transient: z.boolean().optional().catch(undefined),
  }),
});
const oauthEnvelopeSchema = z.object({
  error_type: z.string().catch('OAuthException'),
  code: z.number(),
  error_message: z.string().catch(''),
});

export interface RequestContext {
  method: string;
  path: string;
  idempotent: boolean;
}

/** Builds the error for an HTTP answer that is not a success, from whichever envelope its body has. */
export function errorFromAnswer(
  request: RequestContext,
  answer: { status: number; headers: Headers | null; body: unknown; usage: GraphUsage },
): GraphApiError {
  const common = {
    ...request,
    httpStatus: answer.status,
    usage: answer.usage,
    requestSent: 'yes' as const,
    retryAfterSeconds: advisedWaitSeconds(answer.usage, answer.headers),
  };
  const graph = graphEnvelopeSchema.safeParse(answer.body);
  if (graph.success) {
    const e = graph.data.error;
    return new GraphApiError({
      ...common,
      failure: 'graph',
      message: e.message || `Graph API error ${e.code}`,
      code: e.code,
      subcode: e.error_subcode ?? null,
      type: e.type ?? null,
      userTitle: e.error_user_title,
      userMessage: e.error_user_msg,
      fbtraceId: e.fbtrace_id,
      isTransient: e.is_transient,
    });
  }
  const oauth = oauthEnvelopeSchema.safeParse(answer.body);
  if (oauth.success) {
    const e = oauth.data;
    return new GraphApiError({
      ...common,
      failure: 'oauth',
      message: e.error_message || `OAuth error ${e.code}`,
      code: e.code,
      subcode: null,
      type: e.error_type,
    });
  }
  return new GraphApiError({
    ...common,
    failure: 'http',
    message: `HTTP ${answer.status} without a Graph error body`,
    code: null,
    subcode: null,
    type: null,
  });
}

const REAUTH_CODES = new Set([190, 102]);
const THROTTLE_CODES = new Set([4, 17, 32, 613, 341]);
const isBusinessUseCaseThrottle = (code: number): boolean => code >= 80000 && code <= 80014;
const TRANSIENT_CODES = new Set([1, 2]);
/** Invalid parameter / unsupported request (`100`, e.g. "Unsupported request - method type: get"): the same request fails again. */
const INVALID_REQUEST_CODE = 100;
/** Code 10 subcodes meaning "outside the allowed window" (2018065 is the news-messaging variant). */
const WINDOW_SUBCODES = new Set([2534022, 2018278, 2018065]);

function classifyCode(code: number, subcode: number | null): GraphErrorClass | null {
  if (REAUTH_CODES.has(code)) return 'reauth';
  if (THROTTLE_CODES.has(code) || isBusinessUseCaseThrottle(code)) return 'throttled';
  if (code === 10 && subcode !== null && WINDOW_SUBCODES.has(subcode)) return 'window_closed';
  if (code === 551) return 'recipient_unavailable';
  if (code === 200 && subcode === 1545041) return 'recipient_unavailable';
  if (code === 10 && subcode === 2018108) return 'recipient_unavailable';
  if (TRANSIENT_CODES.has(code)) return 'transient';
  if (code === INVALID_REQUEST_CODE) return 'permanent';
  return null;
}

/**
 * What to do about a failure. Meta's code decides first, whatever the error's `type` (`OAuthException`,
 * `IGApiException` from graph.instagram.com, `GraphMethodException`: §3.7) and whatever the HTTP status it came with; then the HTTP status (5xx: transient, 429: throttled).
 * A failure without an answer is transient when the request provably never left, and also for idempotent
 * requests; a send that may have been written is `unknown_outcome`, which a caller must not blindly re-send.
 * Anything that is not a GraphApiError is `permanent` (a bug does not heal by retrying).
 */
export function classifyGraphError(error: unknown): GraphErrorClass {
  if (!isGraphApiError(error)) return 'permanent';
  if (error.failure === 'network' || error.failure === 'timeout') {
    return error.requestSent === 'no' || error.idempotent ? 'transient' : 'unknown_outcome';
  }
  if (error.failure === 'invalid_response') return error.idempotent ? 'permanent' : 'unknown_outcome';
  if (error.code !== null && error.failure === 'graph') {
    const byCode = classifyCode(error.code, error.subcode);
    if (byCode !== null) return byCode;
  }
  const status = error.httpStatus ?? 0;
  if (status === 429) return 'throttled';
  if (status >= 500) return 'transient';
  return 'permanent';
}
