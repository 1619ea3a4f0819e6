import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { accounts } from '../../db/schema/index.ts';
import type { TokenVault } from '../../shared/crypto/token-vault.ts';

/** The old single account, configured by INSTAGRAM_BUSINESS_ACCOUNT_ID and INSTAGRAM_PAGE_ACCESS_TOKEN. */
export type LegacyAccountConfig = { igUserId: string; accessToken: string };

/**
 * The one place an account's Instagram token is read, just before a Graph call that needs it. An account's token
 * comes from exactly one source: the vault-encrypted column, or, for the legacy account that has no stored token
 * yet (before `threadline import-legacy-account`), the configured token. Never both.
 */
export function createAccountTokens(db: Db, vault: TokenVault, legacy: LegacyAccountConfig | null = null) {
  return {
    async tokenFor(accountId: string): Promise<string | null> {
      const [row] = await db
        .select({ token: accounts.accessTokenEncrypted, status: accounts.status, isLegacy: accounts.isLegacy, igUserId: accounts.igUserId })
        .from(accounts)
        .where(eq(accounts.id, accountId));
      if (!row || row.status === 'disconnected') return null;
      if (row.token) return vault.decrypt(row.token);
      if (row.isLegacy && legacy && legacy.igUserId === row.igUserId) return legacy.accessToken;
      return null;
    },
  };
}
export type AccountTokens = ReturnType<typeof createAccountTokens>;
