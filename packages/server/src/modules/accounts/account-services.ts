import type { Config } from '../../config.ts';
import type { Db } from '../../db/client.ts';
import type { GraphClient } from '../../instagram/graph-client.ts';
import type { TokenVault } from '../../shared/crypto/token-vault.ts';
import type { Logger } from '../../shared/logger.ts';
import type { AuditEntry } from '../audit/audit.repository.ts';
import type { AuthService } from '../auth/auth.service.ts';
import { createMetaCallbacksRepository } from '../oauth/meta-callbacks.repository.ts';
import { createMetaCallbacks } from '../oauth/meta-callbacks.service.ts';
import { createOAuthLinkRepository } from '../oauth/oauth-link.repository.ts';
import { createOAuthStateRepository } from '../oauth/oauth-state.repository.ts';
import { createOAuthService } from '../oauth/oauth.service.ts';
import type { AccountAccess } from './account-access.ts';
import type { AccountStatus } from './account-status.ts';
import type { AccountTokens } from './account-tokens.ts';
import { createAccountsRepository } from './accounts.repository.ts';
import { createAccountsService } from './accounts.service.ts';
import { createLegacyAccount } from './legacy-account.ts';
import { createProfileSync } from './profile-sync.ts';
import { createTokenRefresher } from './token-refresh.ts';

export type AccountServicesDeps = {
  config: Config;
  db: Db;
  vault: TokenVault;
  log: Logger;
  now: () => Date;
  graph: GraphClient;
  auth: AuthService;
  audit: (entry: AuditEntry, tx?: Db) => Promise<void>;
  access: AccountAccess;
  accountTokens: AccountTokens;
  accountStatus: AccountStatus;
  /** After an OAuth link: process the account's waiting unrouted webhook events. */
  onAccountLinked: (igUserId: string) => Promise<void>;
};

/** Accounts, Instagram Login and Meta's callbacks, assembled for the composition root. */
export function buildAccountServices(deps: AccountServicesDeps) {
  const { config, db, vault, now, graph, auth, audit, access, accountTokens, accountStatus } = deps;
  const log = deps.log.child({ module: 'accounts' });
  const accountsRepo = createAccountsRepository(db);
  const oauthStates = createOAuthStateRepository(db);
  const oauthSettings = config.instagram.oauth;
  return {
    accountsRepo,
    accounts: createAccountsService({ db, repo: accountsRepo, access, status: accountStatus, tokens: accountTokens, graph, audit, log }),
    tokenRefresh: createTokenRefresher({
      repo: accountsRepo,
      graph,
      vault,
      status: accountStatus,
      marginMs: config.instagram.tokenRefreshMarginMs,
      now,
      log,
    }),
    profileSync: createProfileSync({ repo: accountsRepo, graph, tokens: accountTokens, status: accountStatus, now, log }),
    legacyAccount: createLegacyAccount({ db, repo: accountsRepo, vault, graph, legacy: config.instagram.legacyAccount, log }),
    oauthStates,
    /** Null when Instagram Login is not configured: its routes answer 503. */
    oauth: oauthSettings
      ? createOAuthService({
          db,
          settings: { redirectUri: oauthSettings.redirectUri, scopes: oauthSettings.scopes },
          graph,
          vault,
          states: oauthStates,
          links: createOAuthLinkRepository(db),
          accounts: accountsRepo,
          status: accountStatus,
          auth,
          audit,
          onAccountLinked: deps.onAccountLinked,
          now,
          log: deps.log.child({ module: 'oauth' }),
        })
      : null,
    metaCallbacks:
      config.instagram.appSecrets.length > 0
        ? createMetaCallbacks({
            db,
            repo: createMetaCallbacksRepository(db),
            appSecrets: config.instagram.appSecrets,
            status: accountStatus,
            tokens: accountTokens,
            graph,
            mediaDir: config.media.dir,
            publicBaseUrl: config.publicBaseUrl.href,
            now,
            log: deps.log.child({ module: 'oauth' }),
          })
        : null,
  };
}
