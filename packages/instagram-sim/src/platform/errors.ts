import { INSTAGRAM_GRAPH_ERRORS } from '@threadline/contract';
import type { GraphErrorBody, GraphErrorDefinition, InstagramGraphErrorName, InstagramOAuthErrorBody } from '@threadline/contract';
import { newFbTraceId } from '../ids.ts';

/** A Graph API failure, answered with Meta's envelope `{error:{message,type,code,error_subcode,…}}` (§6). */
export class GraphError extends Error {
  readonly status: number;
  readonly body: GraphErrorBody;
  constructor(definition: GraphErrorDefinition, overrides: { message?: string; userMessage?: string } = {}) {
    const message = overrides.message ?? definition.message;
    super(message);
    this.status = definition.httpStatus;
    this.body = {
      error: {
        message,
        type: definition.type,
        code: definition.code,
        ...(definition.subcode === undefined ? {} : { error_subcode: definition.subcode }),
        ...(overrides.userMessage === undefined
          ? {}
          : { error_user_title: 'Message not sent', error_user_msg: overrides.userMessage }),
        fbtrace_id: newFbTraceId(),
        is_transient: definition.transient,
      },
    };
  }
}

export function graphError(name: InstagramGraphErrorName, overrides: { message?: string; userMessage?: string } = {}): GraphError {
  return new GraphError(INSTAGRAM_GRAPH_ERRORS[name], overrides);
}

/** `(#100) …` parameter errors, the most common Graph rejection. */
export function invalidParameter(message: string): GraphError {
  return new GraphError(INSTAGRAM_GRAPH_ERRORS.invalidParameter, { message: `(#100) ${message}` });
}

/** A failure of `POST api.instagram.com/oauth/access_token`, with its own shape (§1.2). */
export class OAuthEndpointError extends Error {
  readonly status: number;
  readonly body: InstagramOAuthErrorBody;
  constructor(message: string, code = 400) {
    super(message);
    this.status = code;
    this.body = { error_type: 'OAuthException', code, error_message: message };
  }
}

/** A control API failure (`/_sim/…`), in Threadline's own error shape. */
export class ControlError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}
