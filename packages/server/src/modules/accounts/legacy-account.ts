import type { LoginPath } from '@threadline/contract';
import type { Db } from '../../db/client.ts';
import type { InboxUnitsOfWork } from '../../events/inbox-events.ts';
import type { TokenVault } from '../../shared/crypto/token-vault.ts';
import type { Logger } from '../../shared/logger.ts';
import type { AccountGraphs } from './account-graphs.ts';
import type { LegacyAccountConfig } from './account-tokens.ts';
import { profileFieldsOf, type AccountsRepository } from './accounts.repository.ts';
import type { LegacyApiMode } from './legacy-path.ts';
import { accountErrors } from './accounts.errors.ts';

export type LegacyAccountDeps = {
  /** Opens the transactions that ensure and import the account's row. */
  units: Pick<InboxUnitsOfWork, 'run'>;
  repo: AccountsRepository;
  vault: TokenVault;
  graphs: Pick<AccountGraphs, 'forAccount'>;
  legacy: LegacyAccountConfig | null;
  /** INSTAGRAM_LEGACY_API */
  mode: LegacyApiMode;
  log: Logger;
};

export type LegacyImportReport = {
  accountId: string;
  igUserId: string;
  username: string;
  /** The token was written to the database now (false when it was already there). */
  tokenStored: boolean;
  owner: string;
  /** The host its token belongs to; null when neither took it (then `problem` says what they answered). */
  path: LoginPath | null;
  pageName: string | null;
  problem: string | null;
};

const pathOfMode = (mode: LegacyApiMode): LoginPath | null =>
  mode === 'facebook' ? 'facebook_login' : mode === 'instagram' ? 'instagram_login' : null;

/**
 * The old single account, configured by INSTAGRAM_BUSINESS_ACCOUNT_ID and INSTAGRAM_PAGE_ACCESS_TOKEN. Until it is
 * imported, its row exists (so its webhooks are routed) and its token is read from the configuration; the import
 * moves the token into the vault and links the first administrator as owner and primary, after which the two
 * settings can be removed. Its token may be a Page token (graph.facebook.com) or an Instagram one: INSTAGRAM_LEGACY_API
 * says which, or (`auto`) Meta is asked on first use.
 */
export function createLegacyAccount(deps: LegacyAccountDeps) {
  const { units, repo, vault, graphs, legacy, log } = deps;
  const configuredPath = pathOfMode(deps.mode);

  async function ensureRow(config: LegacyAccountConfig, tx: Db) {
    const existing = await repo.findByIgUserId(config.igUserId, tx);
    if (existing) return existing;
    return repo.insert({ igUserId: config.igUserId, username: `instagram_${config.igUserId}`, isLegacy: true, loginPath: configuredPath }, tx);
  }

  return {
    /**
     * At boot: the configured account has a row (idempotent); its token stays in the configuration. A configured
     * token may have changed since the last start, so its path is asked again (`auto`) or set as configured.
     */
    async ensure(): Promise<void> {
      if (!legacy) return;
      await units.run(async ({ tx }) => {
        const row = await ensureRow(legacy, tx);
        const tokenFromConfiguration = row.isLegacy && row.accessTokenEncrypted === null;
        if (tokenFromConfiguration && row.loginPath !== configuredPath) await repo.update(row.id, { loginPath: configuredPath }, tx);
        else if (row.loginPath === null && configuredPath !== null) await repo.update(row.id, { loginPath: configuredPath }, tx);
      });
    },

    /** The legacy account whose path is still unknown, if any: a background job asks Meta right after start. */
    async pendingDetection(): Promise<{ accountId: string; status: string } | null> {
      if (!legacy) return null;
      const row = await repo.findByIgUserId(legacy.igUserId);
      return row && row.loginPath === null && row.status !== 'disconnected' ? { accountId: row.id, status: row.status } : null;
    },

    /** Resolves the account's path now (recorded with its profile); false when Meta could not say yet. */
    async detect(accountId: string): Promise<boolean> {
      return (await graphs.forAccount(accountId)) !== null;
    },

    /** `threadline import-legacy-account`: idempotent; a second run changes nothing. */
    async import(): Promise<LegacyImportReport> {
      if (!legacy) {
        throw accountErrors.legacyNotConfigured();
      }
      const admin = await repo.firstAdministrator();
      if (!admin) {
        throw accountErrors.legacyNoAdministrator();
      }
      const result = await units.run(async ({ tx }) => {
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
      const report: LegacyImportReport = {
        accountId: result.row.id,
        igUserId: legacy.igUserId,
        username: result.row.username,
        tokenStored: result.tokenStored,
        owner: admin.username,
        path: null,
        pageName: null,
        problem: null,
      };
      // The path (asked of Meta if unknown), then the profile and Page, so it shows as @its_username.
      const client = await graphs.forAccount(result.row.id).catch(() => null);
      if (!client) {
        report.problem = (await repo.find(result.row.id))?.statusReason ?? 'Meta could not be reached; the path is asked again on first use.';
        return report;
      }
      report.path = client.path;
      try {
        const profile = await client.readProfile();
        if (profile.igUserId === legacy.igUserId) {
          const updated = await repo.update(result.row.id, { ...profileFieldsOf(profile), lastSyncedAt: new Date() });
          report.username = updated?.username ?? report.username;
          report.pageName = updated?.facebookPageName ?? null;
        }
      } catch {
        log.warn({ accountId: result.row.id }, 'legacy account imported, but its profile could not be read yet (the daily sync retries)');
        const row = await repo.find(result.row.id);
        report.username = row?.username ?? report.username;
        report.pageName = row?.facebookPageName ?? null;
      }
      return report;
    },
  };
}
export type LegacyAccount = ReturnType<typeof createLegacyAccount>;
