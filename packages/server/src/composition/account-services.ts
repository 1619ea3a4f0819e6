import type { Config } from '../config.ts';
import type { InboxUnitsOfWork } from '../events/inbox-events.ts';
import type { Db } from '../db/client.ts';
import type { GraphClient } from '../instagram/graph-client.ts';
import type { TokenVault } from '../shared/crypto/token-vault.ts';
import type { Logger } from '../shared/logger.ts';
import type { AuditEntry } from '../modules/audit/audit.repository.ts';
import type { AccountAccess } from '../modules/accounts/account-access.ts';
import type { AccountGraphs } from '../modules/accounts/account-graphs.ts';
import type { AccountStatus } from '../modules/accounts/account-status.ts';
import type { AccountsRepository } from '../modules/accounts/accounts.repository.ts';
import { createAccountsService } from '../modules/accounts/accounts.service.ts';
import { createLegacyAccount } from '../modules/accounts/legacy-account.ts';
import { createProfileSync } from '../modules/accounts/profile-sync.ts';
import { createTokenRefresher } from '../modules/accounts/token-refresh.ts';

export type AccountServicesDeps = {
  config: Config;
  units: InboxUnitsOfWork;
  vault: TokenVault;
  log: Logger;
  now: () => Date;
  /** The Instagram Login client: token refresh is Instagram Login's own API. */
  graph: Pick<GraphClient, 'refreshLongLived'>;
  graphs: AccountGraphs;
  audit: (entry: AuditEntry, tx?: Db) => Promise<void>;
  access: AccountAccess;
  accountsRepo: AccountsRepository;
  accountStatus: AccountStatus;
};

/** Accounts: membership and unlinking, token refresh, the daily profile and token check, the legacy account. */
export function buildAccountServices(deps: AccountServicesDeps) {
  const { config, units, vault, now, graph, graphs, audit, access, accountsRepo, accountStatus } = deps;
  const log = deps.log.child({ module: 'accounts' });
  return {
    accountsRepo,
    accounts: createAccountsService({ units, repo: accountsRepo, access, status: accountStatus, graphs, audit, log }),
    tokenRefresh: createTokenRefresher({
      repo: accountsRepo,
      graph,
      vault,
      status: accountStatus,
      marginMs: config.instagram.tokenRefreshMarginMs,
      now,
      log,
    }),
    profileSync: createProfileSync({ repo: accountsRepo, graphs, status: accountStatus, now, log }),
    legacyAccount: createLegacyAccount({
      units,
      repo: accountsRepo,
      vault,
      graphs,
      legacy: config.instagram.legacyAccount,
      mode: config.instagram.legacyApi,
      log,
    }),
  };
}
