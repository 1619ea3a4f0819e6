import { OAUTH_ERROR_MESSAGES, type OAuthErrorReason, type SessionResponse } from '@threadline/contract';
import { isGraphApiError } from '../../instagram/graph-client.ts';
import { isAppError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { page } from './oauth-pages.ts';
import { safeRedirect, withOAuthResult } from './oauth-redirect.ts';

/** Pieces both Meta login flows (Instagram Login, Facebook Login) share. */

export type CallbackQuery = {
  code?: string | undefined;
  state?: string | undefined;
  error?: string | undefined;
  error_reason?: string | undefined;
};

export type CallbackResult =
  /** The flow cannot go back to a trusted redirect, or ends on a page of its own (HTML, everything escaped). */
  | { kind: 'page'; status: number; html: string; /** The flow goes on from this page (the browser binding stays). */ keepBinding?: boolean }
  /** `binding`: a new browser binding to set (the flow continues on a page of Threadline's). */
  | { kind: 'redirect'; location: string; session: SessionResponse | null; accountId: string | null; binding?: string };

/** A flow that ends in `{redirect}?oauth=error&reason=…`. */
export class FlowFailure extends Error {
  readonly reason: OAuthErrorReason;
  constructor(reason: OAuthErrorReason) {
    super(OAUTH_ERROR_MESSAGES[reason]);
    this.reason = reason;
  }
}

/** Each Meta step maps its failure to one reason; nothing of the token or code is logged. */
export function stepper(log: Logger, flow: string) {
  return async function step<T>(reason: OAuthErrorReason, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof FlowFailure) throw error;
      const detail = isGraphApiError(error)
        ? { httpStatus: error.httpStatus, code: error.code, subcode: error.subcode, failure: error.failure }
        : { error: error instanceof Error ? error.name : 'unknown' };
      log.warn({ reason, ...detail }, `${flow} step failed`);
      throw new FlowFailure(reason);
    }
  };
}

export const failedRedirect = (redirect: string, reason: OAuthErrorReason): CallbackResult => ({
  kind: 'redirect',
  location: withOAuthResult(redirect, { oauth: 'error', reason }),
  session: null,
  accountId: null,
});

/** A page that ends a flow with no trusted redirect to go back to. */
export const failedPage = (title: string, message: string): CallbackResult => ({
  kind: 'page',
  status: 400,
  html: page(title, [message], { href: '/', text: 'Back to Threadline' }),
});

/** What a flow's start needs of invitations: the id of a usable one (it throws `invitations.invalid` otherwise). */
export type InvitationCheck = { idForSignIn(token: string): Promise<string> };

/** A flow that cannot start: the browser goes back to `redirect` with the reason. */
export type StartRefused = { refused: string };

/**
 * The invitation a sign-in starts from (none for a signed-in user linking an account, who already exists): its id,
 * or where to send the browser when the link is no longer usable, before anyone is sent to Meta.
 */
export async function invitationForStart(
  invitations: InvitationCheck,
  input: { userId: string | null; redirect: string | undefined; invitation?: string | undefined },
): Promise<{ invitationId: string | null } | StartRefused> {
  if (!input.invitation || input.userId) return { invitationId: null };
  try {
    return { invitationId: await invitations.idForSignIn(input.invitation) };
  } catch (error) {
    if (!isAppError(error)) throw error;
    return { refused: withOAuthResult(safeRedirect(input.redirect), { oauth: 'error', reason: 'invitation_invalid' }) };
  }
}
