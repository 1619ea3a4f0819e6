import { AppError } from '../errors.ts';

/** Refusals of a destination URL before any traffic (a bad setting: 400 when an API caller supplied it). */
export type OutboundUrlErrorCode =
  | 'crm.url_invalid'
  | 'crm.url_scheme'
  | 'crm.url_credentials'
  | 'crm.url_forbidden_address'
  | 'crm.url_unresolvable';

/** Failures of an attempt on the wire (the receiver's side: 502/504 when shown to an API caller). */
export type OutboundTransportErrorCode =
  | 'net.timeout'
  | 'net.connection_refused'
  | 'net.connection_reset'
  | 'net.tls_failed'
  | 'net.request_failed';

export type OutboundErrorCode = OutboundUrlErrorCode | OutboundTransportErrorCode;

const STATUS: Record<OutboundErrorCode, number> = {
  'crm.url_invalid': 400,
  'crm.url_scheme': 400,
  'crm.url_credentials': 400,
  'crm.url_forbidden_address': 400,
  'crm.url_unresolvable': 400,
  'net.timeout': 504,
  'net.connection_refused': 502,
  'net.connection_reset': 502,
  'net.tls_failed': 502,
  'net.request_failed': 502,
};

/**
 * An outbound request that was refused or failed. Messages name the origin (scheme, host, port) at most:
 * never the path or query, where webhook URLs often carry a token.
 */
export class OutboundError extends AppError {
  override readonly code: OutboundErrorCode;

  constructor(code: OutboundErrorCode, message: string, opts: { cause?: unknown; logDetails?: Record<string, unknown> } = {}) {
    super(STATUS[code], code, message, opts);
    this.name = 'OutboundError';
    this.code = code;
  }
}

export function isOutboundError(error: unknown): error is OutboundError {
  return error instanceof OutboundError;
}
