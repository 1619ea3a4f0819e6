import type { z } from 'zod';
import { errorResponseSchema } from '@threadline/contract';

/** A failed API call, with the server's stable dotted code and its words for people. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | null;
  readonly retryAfterSeconds: number | null;
  constructor(status: number, code: string, message: string, requestId: string | null, retryAfterSeconds: number | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export type RequestOptions<S extends z.ZodType> = {
  schema: S;
  /** A JSON body, typed by the route's schema (see call.ts). */
  body?: object;
  /** A file upload: the raw bytes, sent with the file's own Content-Type. */
  file?: Blob;
  /** Each defined value is sent as text; undefined and empty strings are left out. */
  query?: Readonly<Record<string, unknown>>;
  headers?: Record<string, string>;
  /** A 401 here is an answer (wrong password), not an expired session. */
  allowUnauthorized?: boolean;
  signal?: AbortSignal;
};

export type ApiClient = {
  request<S extends z.ZodType>(method: string, path: string, opts: RequestOptions<S>): Promise<z.infer<S>>;
  /** Called by the session store after a successful sign-in, so the next 401 is reported again. */
  resetUnauthorized(): void;
};

export type ApiClientOptions = {
  fetch?: typeof fetch;
  /** Runs once for a burst of 401 answers (several requests failing together return to login once). */
  onUnauthorized?: (error: ApiError) => void;
};

function withQuery(path: string, query: RequestOptions<z.ZodType>['query']): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (typeof v === 'string' ? v !== '' : typeof v === 'number' || typeof v === 'boolean') params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/**
 * The one HTTP client of the web app. The session travels in the HttpOnly cookie (never in localStorage);
 * answers are parsed with the contract's zod schemas; errors become ApiError with the server's code and words.
 */
export function createApiClient(options: ApiClientOptions = {}): ApiClient {
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  let unauthorizedReported = false;

  async function request<S extends z.ZodType>(method: string, path: string, opts: RequestOptions<S>): Promise<z.infer<S>> {
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    let body: BodyInit | undefined;
    if (opts.file) {
      headers['content-type'] = opts.file.type || 'application/octet-stream';
      body = opts.file;
    } else if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    let res: Response;
    try {
      res = await doFetch(withQuery(path, opts.query), { method, headers, body, credentials: 'same-origin', signal: opts.signal ?? null });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') throw error;
      throw new ApiError(0, 'network.unreachable', 'Threadline could not be reached. Check your connection and try again.', null);
    }
    const text = await res.text();
    let json: unknown = null;
    if (text.length > 0) {
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
    }
    if (!res.ok) {
      const parsed = errorResponseSchema.safeParse(json);
      const retry = Number(res.headers.get('retry-after'));
      const error = parsed.success
        ? new ApiError(res.status, parsed.data.error.code, parsed.data.error.message, parsed.data.request_id, Number.isFinite(retry) && retry > 0 ? retry : null)
        : new ApiError(res.status, 'http.error', `The server answered ${res.status}.`, res.headers.get('x-request-id'));
      if (res.status === 401 && !opts.allowUnauthorized && !unauthorizedReported) {
        unauthorizedReported = true;
        options.onUnauthorized?.(error);
      }
      throw error;
    }
    const result = opts.schema.safeParse(json);
    if (!result.success) throw new ApiError(res.status, 'response.invalid', `Unexpected answer from ${method} ${path}.`, res.headers.get('x-request-id'));
    return result.data;
  }

  return {
    request,
    resetUnauthorized() {
      unauthorizedReported = false;
    },
  };
}
