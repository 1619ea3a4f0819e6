import { OAUTH_ERROR_MESSAGES } from '@threadline/contract';
import type { InboxUnitsOfWork } from '../../events/inbox-events.ts';
import type { GraphClient } from '../../instagram/graph-client.ts';
import type { Logger } from '../../shared/logger.ts';
import type { AccountGraphs } from '../accounts/account-graphs.ts';
import type { AuthService, RequestContext } from '../auth/auth.service.ts';
import type { AccountLinker } from './account-linker.ts';
import {
  acceptCallback,
  afterLink,
  beginFlow,
  failedPage,
  FlowFailure,
  guardedFlow,
  linkActor,
  stepper,
  type CallbackQuery,
  type CallbackResult,
  type InvitationCheck,
  type StartRefused,
} from './oauth-flow.ts';
import { withOAuthResult } from './oauth-redirect.ts';
import type { OAuthStateRepository } from './oauth-state.repository.ts';

export type OAuthSettings = { redirectUri: string; scopes: string[] };

export type OAuthServiceDeps = {
  settings: OAuthSettings;
  graph: Pick<GraphClient, 'buildAuthorizeUrl' | 'exchangeCode' | 'exchangeForLongLived' | 'getMe'>;
  /** Subscribes the account being linked, through the same account-bound client every other call uses. */
  graphs: Pick<AccountGraphs, 'bind'>;
  states: OAuthStateRepository;
  /** Opens the transaction that consumes a callback's state. */
  units: Pick<InboxUnitsOfWork, 'run'>;
  linker: AccountLinker;
  invitations: InvitationCheck;
  auth: Pick<AuthService, 'issueSession'>;
  /** After a link: the account's waiting unrouted webhook events are processed. */
  onAccountLinked: (igUserId: string) => Promise<void>;
  now: () => Date;
  log: Logger;
};

export type { CallbackQuery, CallbackResult } from './oauth-flow.ts';

const PROFESSIONAL = /^(business|media_creator|creator)$/i;

/**
 * Instagram Login, end to end: a single-use, browser-bound state; the callback exchanges code → short-lived →
 * long-lived token, reads `/me`, subscribes the account to webhooks, then creates or refreshes the account and
 * links it (signing a new user in, or linking to the signed-in one) in one transaction: a failure at any step
 * leaves no half-created account or user behind.
 */
export function createOAuthService(deps: OAuthServiceDeps) {
  const { settings, graph, linker, log } = deps;
  const flow = 'instagram login';
  const step = stepper(log, flow);

  return {
    /** Starts a flow: the state row, the consent URL, and the browser binding to put in a cookie. */
    async start(input: { userId: string | null; redirect: string | undefined; invitation?: string | undefined }) {
      const begun = await beginFlow(deps, 'instagram', input);
      if ('refused' in begun) return begun satisfies StartRefused;
      const { state, binding, maxAgeSeconds } = begun;
      const authorizeUrl = graph.buildAuthorizeUrl({ redirectUri: settings.redirectUri, scopes: settings.scopes, state });
      return { authorizeUrl, binding, maxAgeSeconds };
    },

    async callback(query: CallbackQuery, binding: string | null, ctx: RequestContext): Promise<CallbackResult> {
      const accepted = await acceptCallback(
        deps,
        'instagram',
        flow,
        { query, binding, refused: failedPage('Instagram sign-in failed', OAUTH_ERROR_MESSAGES.invalid_state) },
        { denied: 'access_denied', codeFailed: 'code_exchange_failed' },
      );
      if ('ended' in accepted) return accepted.ended;
      const { row, redirect, code } = accepted;
      return guardedFlow(log, flow, redirect, async () => {
        const short = await step('code_exchange_failed', () => graph.exchangeCode({ code, redirectUri: settings.redirectUri }));
        const long = await step('token_exchange_failed', () => graph.exchangeForLongLived(short.accessToken));
        const me = await step('profile_failed', () => graph.getMe(long.accessToken));
        if (me.accountType !== undefined && !PROFESSIONAL.test(me.accountType)) throw new FlowFailure('not_professional_account');
        const userId = row.userId;
        const actor = linkActor(userId, { provider: 'instagram', providerId: me.userId, usernameHint: me.username }, row.invitationId);
        // a person SIGNUP_MODE keeps out is refused before anything is subscribed at Meta
        await linker.assertMaySignIn(actor);
        const client = deps.graphs.bind({ path: 'instagram_login', accessToken: long.accessToken, igUserId: me.userId, facebookPageId: null });
        await step('subscribe_failed', () => client.subscribe());
        const scopes = short.permissions.length > 0 ? short.permissions : (long.permissions ?? settings.scopes);
        const linked = await linker.link(
          [
            {
              profile: { ...me, igUserId: me.userId, igAppScopedId: me.id, page: null },
              token: { accessToken: long.accessToken, expiresIn: long.expiresIn, scopes },
              connection: { loginPath: 'instagram_login' },
            },
          ],
          actor,
        );
        const account = linked.accounts[0];
        if (!account) throw new FlowFailure('internal');
        log.info({ accountId: account.id, userId: linked.user.id, mode: userId ? 'link' : 'login' }, 'instagram account linked');
        const session = await afterLink(deps, { igUserIds: [me.userId], user: linked.user, accountId: account.id, userId }, ctx);
        return { kind: 'redirect', location: withOAuthResult(redirect, { oauth: 'success', account_id: account.id }), session, accountId: account.id };
      });
    },
  };
}
export type OAuthService = ReturnType<typeof createOAuthService>;
