import { isOutboundError } from '../../../shared/net/outbound-errors.ts';
import type { SafeHttpClient } from '../../../shared/net/safe-http.ts';
import { VERSION } from '../../../shared/version.ts';
import type { AttemptOutcome } from './crm-metrics.ts';
import { parseRetryAfter } from './crm-schedule.ts';
import { signStandardWebhook } from './standard-webhooks.ts';

export const USER_AGENT = `Threadline/${VERSION}`;
/** Stored and shown per attempt: enough to see what the receiver said. */
export const RESPONSE_EXCERPT_BYTES = 1024;
export const MAX_RESPONSE_BYTES = 65_536;

export type AttemptResult = {
  /** success: 2xx. gone: 410, the endpoint is disabled. retry: anything else, tried again on the schedule. */
  verdict: 'success' | 'gone' | 'retry';
  outcome: AttemptOutcome;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  responseExcerpt: string | null;
  retryAfterMs: number | null;
};

export type AttemptInput = {
  url: string;
  id: string;
  body: string;
  secrets: readonly string[];
  timeoutMs: number;
  now: Date;
};

function excerpt(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= RESPONSE_EXCERPT_BYTES) return text;
  // cut on a character boundary: decoding a cut multi-byte character would invent a replacement character
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, RESPONSE_EXCERPT_BYTES)).replace(/\uFFFD$/, '');
}

/** One signed POST of a delivery: fresh timestamp and signature, the same `webhook-id` every time. */
export async function sendAttempt(client: SafeHttpClient, input: AttemptInput): Promise<AttemptResult> {
  const headers = {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    ...signStandardWebhook({ id: input.id, timestamp: input.now, body: input.body, secrets: input.secrets }),
  };
  const started = Date.now();
  try {
    const response = await client.request({
      url: input.url,
      method: 'POST',
      headers,
      body: input.body,
      timeoutMs: input.timeoutMs,
      maxResponseBytes: MAX_RESPONSE_BYTES,
    });
    const base = {
      statusCode: response.status,
      durationMs: response.durationMs,
      responseExcerpt: excerpt(response.bodyText),
      retryAfterMs: parseRetryAfter(response.headers['retry-after'], input.now),
    };
    if (response.status >= 200 && response.status < 300) {
      return { ...base, verdict: 'success', outcome: 'success', error: null };
    }
    if (response.status === 410) {
      return { ...base, verdict: 'gone', outcome: 'http_error', error: 'The endpoint answered 410 Gone: it asked not to be sent anything more.' };
    }
    const error =
      response.status >= 300 && response.status < 400
        ? `The endpoint answered ${response.status} (a redirect${response.headers.location ? ` to ${redactLocation(response.headers.location)}` : ''}); redirects are not followed: set the final URL.`
        : `The endpoint answered ${response.status}.`;
    return { ...base, verdict: 'retry', outcome: 'http_error', error };
  } catch (error) {
    const durationMs = Date.now() - started;
    if (isOutboundError(error)) {
      const outcome: AttemptOutcome = error.code === 'net.timeout' ? 'timeout' : error.code.startsWith('crm.') ? 'refused' : 'network_error';
      return { verdict: 'retry', outcome, statusCode: null, durationMs, error: error.message, responseExcerpt: null, retryAfterMs: null };
    }
    throw error;
  }
}

/** The origin and path of a redirect target, never its query (which may carry a token). */
function redactLocation(location: string): string {
  try {
    const url = new URL(location);
    return `${url.origin}${url.pathname}`;
  } catch {
    return 'an unreadable location';
  }
}
