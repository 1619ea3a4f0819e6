import { z } from 'zod';
import { FACEBOOK_REQUIRED_PERMISSIONS, OAUTH_STATE_TTL_SECONDS } from '@threadline/contract';
import type { InboxUnitsOfWork } from '../../events/inbox-events.ts';
import type { FacebookClient, FacebookPageWithToken, LinkedInstagramAccount } from '../../instagram/facebook-client.ts';
import { randomToken, sha256Hex } from '../../shared/crypto/random.ts';
import type { TokenVault } from '../../shared/crypto/token-vault.ts';
import type { Logger } from '../../shared/logger.ts';
import type { AccountGraphs } from '../accounts/account-graphs.ts';
import type { AuthService, RequestContext } from '../auth/auth.service.ts';
import type { AccountLinker } from './account-linker.ts';
import { missingPermissionsPage, noInstagramAccountPage, pagePickerPage } from './facebook-pages.ts';
import { page } from './oauth-pages.ts';
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
import type { PageChoiceRow, PageChoicesRepository } from './page-choices.repository.ts';

export type FacebookLoginDeps = {
  settings: { redirectUri: string; scopes: string[] };
  facebook: Pick<FacebookClient, 'buildDialogUrl' | 'exchangeCode' | 'exchangeForLongLived' | 'getUser' | 'getPermissions' | 'listPages'>;
  graphs: Pick<AccountGraphs, 'bind'>;
  states: OAuthStateRepository;
  /** Opens the transactions that consume a callback's state and a Page choice. */
  units: Pick<InboxUnitsOfWork, 'run'>;
  choices: PageChoicesRepository;
  vault: TokenVault;
  linker: AccountLinker;
  invitations: InvitationCheck;
  auth: Pick<AuthService, 'issueSession'>;
  onAccountLinked: (igUserId: string) => Promise<void>;
  now: () => Date;
  log: Logger;
};

/** What a waiting Page choice holds (encrypted at rest: it carries Page tokens). */
const choicePayloadSchema = z.object({
  scopes: z.array(z.string()),
  pages: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      accessToken: z.string(),
      instagram: z.object({ igUserId: z.string(), username: z.string(), name: z.string().optional(), profilePictureUrl: z.string().optional() }).nullable(),
    }),
  ),
});
type ChoicePayload = z.infer<typeof choicePayloadSchema>;
type LinkablePage = ChoicePayload['pages'][number] & { instagram: NonNullable<ChoicePayload['pages'][number]['instagram']> };

const FAILED_TITLE = 'Facebook sign-in failed';
const STALE_STATE = 'This Facebook sign-in link is expired, was already used, or was started in another browser. Start again.';
const STALE_CHOICE = 'This choice of Pages expired, was already made, or was started in another browser. Start “Continue with Facebook” again.';

const hasInstagram = (p: ChoicePayload['pages'][number]): p is LinkablePage => p.instagram !== null;

/** What of a listed Page is kept (for linking, or encrypted while the person chooses). */
function kept(p: FacebookPageWithToken): ChoicePayload['pages'][number] {
  const ig = p.instagram;
  return {
    id: p.id,
    name: p.name,
    accessToken: p.accessToken,
    instagram: ig ? { igUserId: ig.igUserId, username: ig.username, name: ig.name, profilePictureUrl: ig.profilePictureUrl } : null,
  };
}
const linkableOf = (p: FacebookPageWithToken & { instagram: LinkedInstagramAccount }): LinkablePage => ({ ...kept(p), instagram: p.instagram });
const pageResult = (html: string, status = 200): CallbackResult => ({ kind: 'page', status, html });

/**
 * "Continue with Facebook" (the Messenger Platform for Instagram, §7): a single-use, browser-bound state; the callback
 * exchanges code → user token → long-lived user token, reads the person, checks their permissions, and lists their
 * Pages. One Page with an Instagram account is linked at once; several wait (encrypted, single use, 10 minutes) for the
 * person to choose; a missing permission or a Page without Instagram ends on a page that says how to fix it. Each chosen
 * Page is subscribed to webhooks before anything is written, then one transaction links them all.
 */
export function createFacebookLogin(deps: FacebookLoginDeps) {
  const { settings, facebook, choices, vault, linker, log, now } = deps;
  const flow = 'facebook login';
  const step = stepper(log, flow);
  const retryHref = (redirect: string) => `/oauth/facebook/authorize?${new URLSearchParams({ redirect, rerequest: '1' }).toString()}`;

  async function linkPages(
    pages: LinkablePage[],
    scopes: string[],
    facebookUserId: string,
    who: { userId: string | null; invitationId: string | null },
    redirect: string,
    ctx: RequestContext,
  ): Promise<CallbackResult> {
    const { userId } = who;
    const first = pages[0];
    if (!first) throw new FlowFailure('internal');
    const actor = linkActor(userId, { provider: 'facebook', providerId: facebookUserId, usernameHint: first.instagram.username }, who.invitationId);
    // a person SIGNUP_MODE keeps out is refused before any Page is subscribed at Meta
    await linker.assertMaySignIn(actor);
    for (const p of pages) {
      const client = deps.graphs.bind({ path: 'facebook_login', accessToken: p.accessToken, igUserId: p.instagram.igUserId, facebookPageId: p.id });
      await step('page_subscribe_failed', () => client.subscribe());
    }
    const linked = await linker.link(
      pages.map((p) => ({
        profile: { igUserId: p.instagram.igUserId, username: p.instagram.username, name: p.instagram.name, profilePictureUrl: p.instagram.profilePictureUrl, page: { id: p.id, name: p.name } },
        // A Page token read with a long-lived user token does not expire.
        token: { accessToken: p.accessToken, expiresIn: null, scopes },
        connection: { loginPath: 'facebook_login', facebookPageId: p.id, facebookPageName: p.name, facebookUserId },
      })),
      actor,
    );
    const account = linked.accounts[0];
    if (!account) throw new FlowFailure('internal');
    log.info({ accountIds: linked.accounts.map((a) => a.id), userId: linked.user.id, mode: userId ? 'link' : 'login' }, 'facebook pages linked');
    const session = await afterLink(deps, { igUserIds: pages.map((p) => p.instagram.igUserId), user: linked.user, accountId: account.id, userId }, ctx);
    const location = withOAuthResult(redirect, { oauth: 'success', account_id: account.id, linked: String(linked.accounts.length) });
    return { kind: 'redirect', location, session, accountId: account.id };
  }

  const guarded = (redirect: string, run: () => Promise<CallbackResult>) => guardedFlow(log, flow, redirect, run);

  function offered(payload: ChoicePayload) {
    return payload.pages.map((p) => ({ id: p.id, name: p.name, instagramUsername: p.instagram?.username ?? null }));
  }

  function readChoice(row: PageChoiceRow): ChoicePayload {
    return choicePayloadSchema.parse(JSON.parse(vault.decrypt(row.payloadEncrypted)));
  }

  return {
    async start(input: { userId: string | null; redirect: string | undefined; rerequest: boolean; invitation?: string | undefined }) {
      const begun = await beginFlow(deps, 'facebook', input);
      if ('refused' in begun) return begun satisfies StartRefused;
      const { state, binding, maxAgeSeconds } = begun;
      const authorizeUrl = facebook.buildDialogUrl({ redirectUri: settings.redirectUri, scopes: settings.scopes, state, rerequest: input.rerequest });
      return { authorizeUrl, binding, maxAgeSeconds };
    },

    async callback(query: CallbackQuery, binding: string | null, ctx: RequestContext): Promise<CallbackResult> {
      const accepted = await acceptCallback(
        deps,
        'facebook',
        flow,
        { query, binding, refused: failedPage(FAILED_TITLE, STALE_STATE) },
        { denied: 'facebook_access_denied', codeFailed: 'facebook_code_exchange_failed' },
      );
      if ('ended' in accepted) return accepted.ended;
      const { row: started, redirect, code } = accepted;
      const userId = started.userId;
      return guarded(redirect, async () => {
        const short = await step('facebook_code_exchange_failed', () => facebook.exchangeCode({ code, redirectUri: settings.redirectUri }));
        const long = await step('facebook_token_exchange_failed', () => facebook.exchangeForLongLived(short.accessToken));
        const person = await step('facebook_pages_failed', () => facebook.getUser(long.accessToken));
        const permissions = await step('facebook_pages_failed', () => facebook.getPermissions(long.accessToken));
        const granted = permissions.filter((p) => p.status === 'granted').map((p) => p.permission);
        const missing = FACEBOOK_REQUIRED_PERMISSIONS.filter((p) => !granted.includes(p));
        if (missing.length > 0) {
          log.info({ missing }, 'facebook login without the permissions Threadline needs');
          return pageResult(missingPermissionsPage({ missing, retryHref: retryHref(redirect), backHref: redirect }));
        }
        const pages = await step('facebook_pages_failed', () => facebook.listPages(long.accessToken));
        const linkable = pages.filter((p): p is FacebookPageWithToken & { instagram: NonNullable<FacebookPageWithToken['instagram']> } => p.instagram !== null);
        if (linkable.length === 0) {
          return pageResult(noInstagramAccountPage({ pageNames: pages.map((p) => p.name), retryHref: retryHref(redirect), backHref: redirect }));
        }
        const only = linkable.length === 1 ? linkable[0] : undefined;
        if (only) return linkPages([linkableOf(only)], granted, person.id, { userId, invitationId: started.invitationId }, redirect, ctx);
        // Several: they wait, encrypted and bound to this browser, for the person to choose.
        const id = randomToken(24);
        const choiceBinding = randomToken(32);
        await choices.create({
          id,
          userId,
          invitationId: started.invitationId,
          redirectUri: redirect,
          browserBindingHash: sha256Hex(choiceBinding),
          facebookUserId: person.id,
          payloadEncrypted: vault.encrypt(JSON.stringify({ scopes: granted, pages: pages.map(kept) } satisfies ChoicePayload)),
          expiresAt: new Date(now().getTime() + OAUTH_STATE_TTL_SECONDS * 1000),
        });
        return { kind: 'redirect', location: `/oauth/facebook/pages/${id}`, session: null, accountId: null, binding: choiceBinding };
      });
    },

    /** The picker of a waiting choice, for the browser that started it. */
    async picker(id: string, binding: string | null): Promise<{ status: number; html: string }> {
      const found = await choices.find(id, binding ? sha256Hex(binding) : null, now());
      if (!found.ok) return { status: 400, html: page(FAILED_TITLE, [STALE_CHOICE], { href: '/', text: 'Back to Threadline' }) };
      return { status: 200, html: pagePickerPage({ action: `/oauth/facebook/pages/${id}`, pages: offered(readChoice(found.row)) }) };
    },

    /** The person chose: at least one Page with an Instagram account; the choice is then used up. */
    async choose(id: string, binding: string | null, chosen: string[], ctx: RequestContext): Promise<CallbackResult> {
      const bindingHash = binding ? sha256Hex(binding) : null;
      const found = await choices.find(id, bindingHash, now());
      if (!found.ok) return failedPage(FAILED_TITLE, STALE_CHOICE);
      const payload = readChoice(found.row);
      const selected = payload.pages.filter(hasInstagram).filter((p) => chosen.includes(p.id));
      if (selected.length === 0) {
        const html = pagePickerPage({ action: `/oauth/facebook/pages/${id}`, pages: offered(payload), error: 'Choose at least one Instagram account.' });
        return { kind: 'page', status: 400, html, keepBinding: true };
      }
      const at = now();
      const consumed = await deps.units.run(({ tx }) => choices.consume(id, bindingHash, at, tx));
      if (!consumed.ok) return failedPage(FAILED_TITLE, STALE_CHOICE);
      const row = consumed.row;
      return guarded(row.redirectUri, () => linkPages(selected, payload.scopes, row.facebookUserId, { userId: row.userId, invitationId: row.invitationId }, row.redirectUri, ctx));
    },
  };
}
export type FacebookLogin = ReturnType<typeof createFacebookLogin>;

