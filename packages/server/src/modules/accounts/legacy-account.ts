import type { Db } from '../../db/client.ts';
import type { GraphClient } from '../../instagram/graph-client.ts';
import type { TokenVault } from '../../shared/crypto/token-vault.ts';
import { AppError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { LegacyAccountConfig } from './account-tokens.ts';
import type { AccountsRepository } from './accounts.repository.ts';

export type LegacyAccountDeps = {
  db: Db;
  repo: AccountsRepository;
  vault: TokenVault;
  graph: Pick<GraphClient, 'getMe'>;
  legacy: LegacyAccountConfig | null;
  log: Logger;
};

export type LegacyImportReport = {
  accountId: string;
  igUserId: string;
  username: string;
  /** The token was written to the database now (false when it was already there). */
  tokenStored: boolean;
  owner: string;
};

/**
 * The old single account, configured by INSTAGRAM_BUSINESS_ACCOUNT_ID and INSTAGRAM_PAGE_ACCESS_TOKEN. Until it is
 * imported, its row exists (so its webhooks are routed) and its token is read from the configuration; the import
 * moves the token into the vault and links the first administrator as owner and primary, after which the two
 * settings can be removed.
 */
export function createLegacyAccount(deps: LegacyAccountDeps) {
  const { db, repo, vault, graph, legacy, log } = deps;

  async function ensureRow(config: LegacyAccountConfig, tx: Db) {
    const existing = await repo.findByIgUserId(config.igUserId, tx);
    if (existing) return existing;
    return repo.insert({ igUserId: config.igUserId, username: `instagram_${config.igUserId}`, isLegacy: true }, tx);
  }

  return {
    /** At boot: the configured account has a row (idempotent); its token stays in the configuration. */
    async ensure(): Promise<void> {
      if (!legacy) return;
      await db.transaction((tx) => ensureRow(legacy, tx));
    },

    /** `threadline import-legacy-account`: idempotent; a second run changes nothing. */
    async import(): Promise<LegacyImportReport> {
      if (!legacy) {
        throw new AppError(400, 'legacy.not_configured', 'INSTAGRAM_BUSINESS_ACCOUNT_ID and INSTAGRAM_PAGE_ACCESS_TOKEN are not set: there is nothing to import.');
      }
      const admin = await repo.firstAdministrator();
      if (!admin) {
        throw new AppError(409, 'legacy.no_administrator', 'Create an administrator first (threadline user create --admin, or the setup page).');
      }
      const result = await db.transaction(async (tx) => {
        const row = await ensureRow(legacy, tx);
        await repo.lock(row.id, tx);
        const tokenStored = row.accessTokenEncrypted === null;
        if (tokenStored) {
          await repo.update(row.id, { accessTokenEncrypted: vault.encrypt(legacy.accessToken), isLegacy: true, status: 'active', statusReason: null }, tx);
        }
        if (!(await repo.membership(admin.id, row.id, tx))) {
          await repo.addMember(admin.id, row.id, 'owner', tx);
          await repo.setPrimary(admin.id, row.id, tx);
        }
        return { row, tokenStored };
      });
      let username = result.row.username;
      try {
        const me = await graph.getMe(legacy.accessToken);
        username = me.username;
        await repo.update(result.row.id, {
          username: me.username,
          name: me.name ?? null,
          igAppScopedId: me.id,
          profilePictureUrl: me.profilePictureUrl ?? null,
          followersCount: me.followersCount ?? null,
          lastSyncedAt: new Date(),
        });
      } catch {
        log.warn({ accountId: result.row.id }, 'legacy account imported, but its profile could not be read yet (the daily sync retries)');
      }
      return { accountId: result.row.id, igUserId: legacy.igUserId, username, tokenStored: result.tokenStored, owner: admin.username };
    },
  };
}
export type LegacyAccount = ReturnType<typeof createLegacyAccount>;
