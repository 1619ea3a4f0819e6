import type { GraphErrorBody } from '@threadline/contract';
import type { Variants } from '../variants.ts';

/**
 * A Graph error as the `graphErrorType` variant plays it (§3.7): Meta's Messenger-style `OAuthException` envelope, or
 * graph.instagram.com's `IGApiException` one (no `error_user_title`, `error_user_msg` or `is_transient`), where a
 * code 10 error (permission, outside the window) comes with HTTP 403.
 */
export function shapeGraphError(status: number, body: GraphErrorBody, variants: Variants): { status: number; body: unknown } {
  if (variants.graphErrorType === 'OAuthException' || body.error.type !== 'OAuthException') return { status, body };
  const { message, code, error_subcode: subcode, fbtrace_id: trace } = body.error;
  return {
    status: code === 10 ? 403 : status,
    body: { error: { message, type: 'IGApiException', code, ...(subcode === undefined ? {} : { error_subcode: subcode }), ...(trace === undefined ? {} : { fbtrace_id: trace }) } },
  };
}
