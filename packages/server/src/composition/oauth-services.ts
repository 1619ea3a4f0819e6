import type { Config } from '../config.ts';
import type { InboxUnitsOfWork } from '../events/inbox-events.ts';
import type { Db } from '../db/client.ts';
import type { FacebookClient } from '../instagram/facebook-client.ts';
import type { GraphClient } from '../instagram/graph-client.ts';
import type { TokenVault } from '../shared/crypto/token-vault.ts';
import type { Logger } from '../shared/logger.ts';
import type { AccountGraphs } from '../modules/accounts/account-graphs.ts';
import type { AccountStatus } from '../modules/accounts/account-status.ts';
import type { AccountsRepository } from '../modules/accounts/accounts.repository.ts';
import type { AuditEntry } from '../modules/audit/audit.repository.ts';
import type { AuthService } from '../modules/auth/auth.service.ts';
import type { InvitationsService } from '../modules/teammates/invitations.service.ts';
import { createAccountLinker } from '../modules/oauth/account-linker.ts';
import { createFacebookLogin } from '../modules/oauth/facebook-login.service.ts';
import { createMetaCallbacksRepository } from '../modules/oauth/meta-callbacks.repository.ts';
import { createMetaCallbacks } from '../modules/oauth/meta-callbacks.service.ts';
import { createOAuthLinkRepository } from '../modules/oauth/oauth-link.repository.ts';
import { createOAuthStateRepository } from '../modules/oauth/oauth-state.repository.ts';
import { createOAuthService } from '../modules/oauth/oauth.service.ts';
import { createPageChoicesRepository } from '../modules/oauth/page-choices.repository.ts';

export type OAuthServicesDeps = {
  config: Config;
  db: Db;
  units: InboxUnitsOfWork;
  vault: TokenVault;
  log: Logger;
  now: () => Date;
  graph: GraphClient;
  facebook: FacebookClient;
  graphs: AccountGraphs;
  auth: AuthService;
  audit: (entry: AuditEntry, tx?: Db) => Promise<void>;
  accountsRepo: AccountsRepository;
  accountStatus: AccountStatus;
  /** Invitation links: checked when a flow starts, used up when the person joins (oauth-users.ts, account-linker.ts). */
  invitations: Pick<InvitationsService, 'idForSignIn' | 'redeem'>;
  /** After an OAuth link: process the account's waiting unrouted webhook events. */
  onAccountLinked: (igUserId: string) => Promise<void>;
};

/** Both Meta logins ("Continue with Instagram", "Continue with Facebook") and Meta's callbacks for both apps. */
export function buildOAuthServices(deps: OAuthServicesDeps) {
  const { config, db, units, vault, now, graph, facebook, graphs, auth, audit, accountStatus } = deps;
  const log = deps.log.child({ module: 'oauth' });
  const oauthStates = createOAuthStateRepository(db);
  const pageChoices = createPageChoicesRepository(db);
  const { invitations } = deps;
  const linker = createAccountLinker({
    db, units, vault, links: createOAuthLinkRepository(db), accounts: deps.accountsRepo, status: accountStatus, audit, now,
    signupMode: config.signupMode, redeemInvitation: (id, userId, tx) => invitations.redeem(id, userId, tx),
  });
  const callbacksRepo = createMetaCallbacksRepository(db);
  const callbacks = (provider: 'instagram' | 'facebook', appSecrets: string[]) =>
    appSecrets.length > 0
      ? createMetaCallbacks({
          db, units, repo: callbacksRepo, provider, appSecrets, status: accountStatus, graphs, mediaDir: config.media.dir,
          publicBaseUrl: config.publicBaseUrl.href, now, log,
        })
      : null;
  const instagramLogin = config.instagram.oauth;
  const facebookLogin = config.facebook.oauth;
  return {
    oauthStates,
    pageChoices,
    metaCallbacksRepo: callbacksRepo,
    /** Null when Instagram Login is not configured: its routes answer 503. */
    oauth: instagramLogin
      ? createOAuthService({
          settings: { redirectUri: instagramLogin.redirectUri, scopes: instagramLogin.scopes },
          graph, graphs, states: oauthStates, units, linker, invitations, auth, onAccountLinked: deps.onAccountLinked, now, log,
        })
      : null,
    /** Null when Facebook Login is not configured: its routes answer 503. */
    facebookLogin: facebookLogin
      ? createFacebookLogin({
          settings: { redirectUri: facebookLogin.redirectUri, scopes: facebookLogin.scopes },
          facebook, graphs, states: oauthStates, units, choices: pageChoices, vault, linker, invitations, auth, onAccountLinked: deps.onAccountLinked, now, log,
        })
      : null,
    metaCallbacks: callbacks('instagram', config.instagram.appSecrets),
    facebookCallbacks: callbacks('facebook', config.facebook.callbackSecrets),
  };
}
