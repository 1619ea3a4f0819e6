import { eq, isNotNull, or } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { accounts } from '../../db/schema/index.ts';

/** Every column that holds a vault-encrypted secret. */
export const SECRET_COLUMNS = ['accessTokenEncrypted', 'refreshTokenEncrypted', 'webhookSecret', 'webhookSecretPrevious'] as const;
export type SecretColumn = (typeof SECRET_COLUMNS)[number];

/** The encrypted columns of accounts, for key rotation and the boot check (secret-maintenance.ts). */
export function createAccountSecretsRepository(db: Db) {
  return {
    /** Every account that holds at least one secret. */
    async withSecrets(tx: Db = db) {
      return tx
        .select()
        .from(accounts)
        .where(or(...SECRET_COLUMNS.map((c) => isNotNull(accounts[c]))));
    },
    async updateSecrets(accountId: string, update: Partial<Record<SecretColumn, string>>, tx: Db = db): Promise<void> {
      await tx.update(accounts).set({ ...update, updatedAt: new Date() }).where(eq(accounts.id, accountId));
    },
    /** Up to `sample` stored values of one secret column. */
    async sample(column: SecretColumn, sample: number, tx: Db = db): Promise<(string | null)[]> {
      const rows = await tx.select({ value: accounts[column] }).from(accounts).where(isNotNull(accounts[column])).limit(sample);
      return rows.map((r) => r.value);
    },
  };
}
