import {
  ACCOUNT_WEBHOOK_FIELDS,
  OAUTH_ERROR_MESSAGES,
  OAUTH_STATE_TTL_SECONDS,
  type OAuthErrorReason,
  type SessionResponse,
} from '@threadline/contract';
import type { Db } from '../../db/client.ts';
import { isGraphApiError, type GraphClient, type InstagramMe } from '../../instagram/graph-client.ts';
import type { TokenVault } from '../../shared/crypto/token-vault.ts';
import { randomToken, sha256Hex } from '../../shared/crypto/random.ts';
import type { Logger } from '../../shared/logger.ts';
import type { AccountStatus } from '../accounts/account-status.ts';
import type { AccountsRepository } from '../accounts/accounts.repository.ts';
import type { AuditEntry } from '../audit/audit.repository.ts';
import type { AuthService, RequestContext } from '../auth/auth.service.ts';
import { createInstagramUser } from './oauth-users.ts';
import type { OAuthLinkRepository, UserRow } from './oauth-link.repository.ts';
import { safeRedirect, withOAuthResult } from './oauth-redirect.ts';
import type { OAuthStateRepository } from './oauth-state.repository.ts';

export type OAuthSettings = { redirectUri: string; scopes: string[] };

export type OAuthServiceDeps = {
  db: Db;
  settings: OAuthSettings;
  graph: Pick<GraphClient, 'buildAuthorizeUrl' | 'exchangeCode' | 'exchangeForLongLived' | 'getMe' | 'subscribeApp'>;
  vault: TokenVault;
  states: OAuthStateRepository;
  links: OAuthLinkRepository;
  accounts: AccountsRepository;
  status: AccountStatus;
  auth: Pick<AuthService, 'issueSession'>;
  audit: (entry: AuditEntry, tx?: Db) => Promise<void>;
  /** After a link: the account's waiting unrouted webhook events are processed. */
  onAccountLinked: (igUserId: string) => Promise<void>;
  now: () => Date;
  log: Logger;
};

export type CallbackQuery = {
  code?: string | undefined;
  state?: string | undefined;
  error?: string | undefined;
  error_reason?: string | undefined;
};

export type CallbackResult =
  /** The state cannot be trusted, so there is no redirect to go back to: a page says what happened. */
  | { kind: 'page'; status: number; message: string }
  | { kind: 'redirect'; location: string; session: SessionResponse | null; accountId: string | null };

class FlowFailure extends Error {
  readonly reason: OAuthErrorReason;
  constructor(reason: OAuthErrorReason) {
    super(OAUTH_ERROR_MESSAGES[reason]);
    this.reason = reason;
  }
}

const PROFESSIONAL = /^(business|media_creator|creator)$/i;

/**
 * Instagram Login, end to end: a single-use, browser-bound state; the callback exchanges code → short-lived →
 * long-lived token, reads `/me`, subscribes the account to webhooks, then creates or refreshes the account and
 * links it (signing a new user in, or linking to the signed-in one) in one transaction: a failure at any step
 * leaves no half-created account or user behind.
 */
export function createOAuthService(deps: OAuthServiceDeps) {
  const { db, settings, graph, vault, states, links, accounts, status, auth, audit, log, now } = deps;

  /** Each Meta step maps its failure to one reason; nothing of the token or code is logged. */
  async function step<T>(reason: OAuthErrorReason, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const detail = isGraphApiError(error)
        ? { httpStatus: error.httpStatus, code: error.code, subcode: error.subcode, failure: error.failure }
        : { error: error instanceof Error ? error.name : 'unknown' };
      log.warn({ reason, ...detail }, 'instagram login step failed');
      throw new FlowFailure(reason);
    }
  }

  async function linkInTransaction(me: InstagramMe, token: { accessToken: string; expiresIn: number; scopes: string[] }, userId: string | null) {
    const at = now();
    return db.transaction(async (tx) => {
      const { row: account, before } = await links.upsertAccount(
        me,
        { encrypted: vault.encrypt(token.accessToken), expiresAt: new Date(at.getTime() + token.expiresIn * 1000), issuedAt: at, scopes: token.scopes },
        at,
        tx,
      );
      let user: UserRow | undefined;
      let createdUser = false;
      if (userId) user = await links.findUser(userId, tx);
      else {
        user = await links.findUserByProvider(me.userId, tx);
        if (!user) {
          user = await createInstagramUser(links, me, tx);
          createdUser = true;
        }
      }
      if (!user || user.disabledAt) throw new FlowFailure('user_disabled');
      if (!(await accounts.membership(user.id, account.id, tx))) {
        // New to Threadline: its linker owns it. Already linked by others: they keep their roles, this one is admin.
        const { members } = await accounts.countMembers(account.id, tx);
        await accounts.addMember(user.id, account.id, members === 0 ? 'owner' : 'admin', tx);
      }
      if (!before || before.status !== 'active') await status.recordConnected(account.id, tx);
      await audit(
        { action: before ? 'accounts.relinked' : 'accounts.linked', actorUserId: user.id, accountId: account.id, target: me.userId, details: { createdUser } },
        tx,
      );
      return { account, user };
    });
  }

  return {
    /** Starts a flow: the state row, the consent URL, and the browser binding to put in a cookie. */
    async start(input: { userId: string | null; redirect: string | undefined }) {
      const state = randomToken(32);
      const binding = randomToken(32);
      await states.create({
        state,
        userId: input.userId,
        redirect: safeRedirect(input.redirect),
        browserBindingHash: sha256Hex(binding),
        expiresAt: new Date(now().getTime() + OAUTH_STATE_TTL_SECONDS * 1000),
      });
      const authorizeUrl = graph.buildAuthorizeUrl({ redirectUri: settings.redirectUri, scopes: settings.scopes, state });
      return { authorizeUrl, binding, maxAgeSeconds: OAUTH_STATE_TTL_SECONDS };
    },

    async callback(query: CallbackQuery, binding: string | null, ctx: RequestContext): Promise<CallbackResult> {
      if (!query.state) return { kind: 'page', status: 400, message: OAUTH_ERROR_MESSAGES.invalid_state };
      const consumed = await states.consume(query.state, binding ? sha256Hex(binding) : null, now());
      if (!consumed.ok) {
        log.info({ why: consumed.why }, 'instagram login state refused');
        return { kind: 'page', status: 400, message: OAUTH_ERROR_MESSAGES.invalid_state };
      }
      const redirect = consumed.row.redirectUri;
      const fail = (reason: OAuthErrorReason): CallbackResult => ({
        kind: 'redirect',
        location: withOAuthResult(redirect, { oauth: 'error', reason }),
        session: null,
        accountId: null,
      });
      if (query.error || !query.code) {
        log.info({ error: query.error?.slice(0, 64), errorReason: query.error_reason?.slice(0, 64) }, 'instagram login not granted');
        return fail(query.error === 'access_denied' || !query.code ? 'access_denied' : 'code_exchange_failed');
      }
      const code = query.code;
      try {
        const short = await step('code_exchange_failed', () => graph.exchangeCode({ code, redirectUri: settings.redirectUri }));
        const long = await step('token_exchange_failed', () => graph.exchangeForLongLived(short.accessToken));
        const me = await step('profile_failed', () => graph.getMe(long.accessToken));
        if (me.accountType !== undefined && !PROFESSIONAL.test(me.accountType)) throw new FlowFailure('not_professional_account');
        await step('subscribe_failed', () => graph.subscribeApp(long.accessToken, ACCOUNT_WEBHOOK_FIELDS));
        const scopes = short.permissions.length > 0 ? short.permissions : (long.permissions ?? settings.scopes);
        const linked = await linkInTransaction(me, { accessToken: long.accessToken, expiresIn: long.expiresIn, scopes }, consumed.row.userId);
        log.info({ accountId: linked.account.id, userId: linked.user.id, mode: consumed.row.userId ? 'link' : 'login' }, 'instagram account linked');
        await deps.onAccountLinked(me.userId).catch((error: unknown) => log.error({ err: error }, 'could not requeue unrouted events'));
        const session = consumed.row.userId ? null : await auth.issueSession(linked.user, linked.account.id, ctx);
        return {
          kind: 'redirect',
          location: withOAuthResult(redirect, { oauth: 'success', account_id: linked.account.id }),
          session,
          accountId: linked.account.id,
        };
      } catch (error) {
        if (error instanceof FlowFailure) return fail(error.reason);
        log.error({ err: error }, 'instagram login failed');
        return fail('internal');
      }
    },
  };
}
export type OAuthService = ReturnType<typeof createOAuthService>;
