/**
 * The one error vocabulary: every failure a client may see is an AppError with a stable dotted code.
 * Anything else that escapes a handler becomes a generic 500 (and is logged with the request id).
 */
export class AppError extends Error {
  readonly statusCode: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  readonly details: Record<string, unknown> | undefined;
  /** What the log line of this refusal carries and the caller is not told (an address a host resolved to). */
  readonly logDetails: Record<string, unknown> | undefined;

  constructor(
    statusCode: number,
    code: string,
    message: string,
    opts: { headers?: Record<string, string>; details?: Record<string, unknown>; logDetails?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = 'AppError';
    this.statusCode = statusCode;
    this.code = code;
    this.headers = opts.headers ?? {};
    this.details = opts.details;
    this.logDetails = opts.logDetails;
  }
}

export const badRequest = (code: string, message: string, details?: Record<string, unknown>) =>
  new AppError(400, code, message, details ? { details } : {});
export const unauthorized = (code: string, message: string) => new AppError(401, code, message);
export const forbidden = (code: string, message: string) => new AppError(403, code, message);
export const notFound = (code: string, message: string) => new AppError(404, code, message);
export const conflict = (code: string, message: string) => new AppError(409, code, message);
export const tooManyRequests = (code: string, message: string, retryAfterSeconds: number) =>
  new AppError(429, code, message, { headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) } });
export const serviceUnavailable = (code: string, message: string) => new AppError(503, code, message);

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
