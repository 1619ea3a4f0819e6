import type { LoginPath } from '@threadline/contract';
import type { TokenVault } from '../../shared/crypto/token-vault.ts';
import type { AccountsRepository } from './accounts.repository.ts';

/** The old single account, configured by INSTAGRAM_BUSINESS_ACCOUNT_ID and INSTAGRAM_PAGE_ACCESS_TOKEN. */
export type LegacyAccountConfig = { igUserId: string; accessToken: string };

/** An account's token with what decides where it goes; `loginPath` is null while the legacy account's is unknown. */
export type AccountCredentials = {
  accountId: string;
  status: 'active' | 'reauth_required' | 'disconnected';
  igUserId: string;
  loginPath: LoginPath | null;
  facebookPageId: string | null;
  isLegacy: boolean;
  accessToken: string;
  /** Whether the token comes from the configuration (the legacy account before `import-legacy-account`). */
  fromConfiguration: boolean;
};

/**
 * The one place an account's token is read, just before a Graph call that needs it. An account's token comes from
 * exactly one source: the vault-encrypted column, or, for the legacy account that has no stored token yet (before
 * `threadline import-legacy-account`), the configured token. Never both. A disconnected account has none.
 */
export function createAccountTokens(repo: Pick<AccountsRepository, 'connectionOf'>, vault: TokenVault, legacy: LegacyAccountConfig | null = null) {
  async function credentialsFor(accountId: string): Promise<AccountCredentials | null> {
    const row = await repo.connectionOf(accountId);
    if (!row || row.status === 'disconnected') return null;
    let accessToken: string | null = null;
    if (row.tokenEncrypted) accessToken = vault.decrypt(row.tokenEncrypted);
    else if (row.isLegacy && legacy && legacy.igUserId === row.igUserId) accessToken = legacy.accessToken;
    if (accessToken === null) return null;
    return {
      accountId: row.id,
      status: row.status,
      igUserId: row.igUserId,
      loginPath: row.loginPath,
      facebookPageId: row.facebookPageId,
      isLegacy: row.isLegacy,
      accessToken,
      fromConfiguration: row.tokenEncrypted === null,
    };
  }
  return {
    credentialsFor,
    async tokenFor(accountId: string): Promise<string | null> {
      return (await credentialsFor(accountId))?.accessToken ?? null;
    },
  };
}
export type AccountTokens = ReturnType<typeof createAccountTokens>;
