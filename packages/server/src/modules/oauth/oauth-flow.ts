import { OAUTH_ERROR_MESSAGES, type OAuthErrorReason, type SessionResponse } from '@threadline/contract';
import type { InboxUnitsOfWork } from '../../events/inbox-events.ts';
import { isGraphApiError } from '../../instagram/graph-client.ts';
import { sha256Hex } from '../../shared/crypto/random.ts';
import { isAppError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { AuthService, RequestContext } from '../auth/auth.service.ts';
import type { UserRow } from '../auth/auth.repository.ts';
import type { LinkActor } from './account-linker.ts';
import type { OAuthIdentity } from './oauth-users.ts';
import { page } from './oauth-pages.ts';
import { safeRedirect, withOAuthResult } from './oauth-redirect.ts';
import type { OAuthStateRepository, OAuthStateRow } from './oauth-state.repository.ts';

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

type Provider = 'instagram' | 'facebook';

/** What both flows share to start and to take a callback: the state rows, the units of work, invitations, the clock, the log. */
export type FlowDeps = {
  states: Pick<OAuthStateRepository, 'begin' | 'consume'>;
  /** Opens the transaction that consumes a callback's state. */
  units: Pick<InboxUnitsOfWork, 'run'>;
  invitations: InvitationCheck;
  now: () => Date;
  log: Logger;
};

/** Starts a flow of `provider`: the invitation it signs in with, a single-use state, and the browser binding. */
export async function beginFlow(
  deps: Omit<FlowDeps, 'log' | 'units'>,
  provider: Provider,
  input: { userId: string | null; redirect: string | undefined; invitation?: string | undefined },
): Promise<{ state: string; binding: string; maxAgeSeconds: number } | StartRefused> {
  const invitation = await invitationForStart(deps.invitations, input);
  if ('refused' in invitation) return invitation;
  return deps.states.begin(provider, { ...input, invitationId: invitation.invitationId }, deps.now());
}

/**
 * A callback's first steps: its state consumed (single use, this browser's, this provider's), then Meta's answer
 * read. Answers the code to exchange, or how the flow ends: `refused` (no trusted redirect to go back to) or a
 * redirect with `reasons.denied` / `reasons.codeFailed`.
 */
export async function acceptCallback(
  deps: FlowDeps,
  provider: Provider,
  flow: string,
  callback: { query: CallbackQuery; binding: string | null; refused: CallbackResult },
  reasons: { denied: OAuthErrorReason; codeFailed: OAuthErrorReason },
): Promise<{ ended: CallbackResult } | { row: OAuthStateRow; redirect: string; code: string }> {
  const { query, binding, refused } = callback;
  const state = query.state;
  if (!state) return { ended: refused };
  const bindingHash = binding ? sha256Hex(binding) : null;
  const at = deps.now();
  const consumed = await deps.units.run(({ tx }) => deps.states.consume(state, bindingHash, at, provider, tx));
  if (!consumed.ok) {
    deps.log.info({ why: consumed.why }, `${flow} state refused`);
    return { ended: refused };
  }
  const redirect = consumed.row.redirectUri;
  if (query.error || !query.code) {
    deps.log.info({ error: query.error?.slice(0, 64), errorReason: query.error_reason?.slice(0, 64) }, `${flow} not granted`);
    return { ended: failedRedirect(redirect, query.error === 'access_denied' || !query.code ? reasons.denied : reasons.codeFailed) };
  }
  return { row: consumed.row, redirect, code: query.code };
}

/** Runs the steps that end a flow: a FlowFailure becomes its redirect, anything else is logged as internal. */
export async function guardedFlow(log: Logger, flow: string, redirect: string, run: () => Promise<CallbackResult>): Promise<CallbackResult> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof FlowFailure) return failedRedirect(redirect, error.reason);
    log.error({ err: error }, `${flow} failed`);
    return failedRedirect(redirect, 'internal');
  }
}

/** Who links: the signed-in user, or the person Meta names, signing in (with the invitation the flow started from). */
export function linkActor(userId: string | null, identity: OAuthIdentity, invitationId: string | null): LinkActor {
  return userId ? { userId } : { identity, invitationId };
}

/**
 * After a link: the accounts' waiting unrouted webhook events are processed (a failure there is logged, never the
 * flow's), and a person who signed in (no `userId`) gets a session on `accountId`.
 */
export async function afterLink(
  deps: { onAccountLinked: (igUserId: string) => Promise<void>; auth: Pick<AuthService, 'issueSession'>; log: Logger },
  linked: { igUserIds: string[]; user: UserRow; accountId: string; userId: string | null },
  ctx: RequestContext,
): Promise<SessionResponse | null> {
  for (const igUserId of linked.igUserIds) {
    await deps.onAccountLinked(igUserId).catch((error: unknown) => deps.log.error({ err: error }, 'could not requeue unrouted events'));
  }
  return linked.userId ? null : deps.auth.issueSession(linked.user, linked.accountId, ctx);
}
