import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { accounts, apiKeys, users } from '../../db/schema/index.ts';

export type ApiKeyRow = typeof apiKeys.$inferSelect;

/** API keys of accounts: only a hash of a key is stored, found by its public prefix. */
export function createApiKeysRepository(db: Db) {
  return {
    /** The account's keys (or the one `keyId`), newest first, with their creator's name and disabled time. */
    async list(accountId: string, keyId: string | undefined, tx: Db = db) {
      return tx
        .select({ key: apiKeys, username: users.username, disabledAt: users.disabledAt })
        .from(apiKeys)
        .leftJoin(users, eq(users.id, apiKeys.createdByUserId))
        .where(and(eq(apiKeys.accountId, accountId), keyId ? eq(apiKeys.id, keyId) : undefined))
        .orderBy(desc(apiKeys.createdAt));
    },
    async insert(values: typeof apiKeys.$inferInsert, tx: Db = db): Promise<ApiKeyRow | undefined> {
      const [row] = await tx.insert(apiKeys).values(values).returning();
      return row;
    },
    /** Revokes the key (a key revoked before keeps its first time); undefined when the account has no such key. */
    async revoke(accountId: string, keyId: string, tx: Db = db): Promise<ApiKeyRow | undefined> {
      const [row] = await tx
        .update(apiKeys)
        .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
        .where(and(eq(apiKeys.id, keyId), eq(apiKeys.accountId, accountId)))
        .returning();
      return row;
    },
    /** The unrevoked key with this prefix and its account's status. */
    async findActiveByPrefix(prefix: string, tx: Db = db) {
      const [row] = await tx
        .select({ key: apiKeys, accountStatus: accounts.status })
        .from(apiKeys)
        .innerJoin(accounts, eq(accounts.id, apiKeys.accountId))
        .where(and(eq(apiKeys.prefix, prefix), isNull(apiKeys.revokedAt)))
        .limit(1);
      return row;
    },
    async touchLastUsed(keyId: string, at: Date, tx: Db = db): Promise<void> {
      await tx.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, keyId));
    },
  };
}
export type ApiKeysRepository = ReturnType<typeof createApiKeysRepository>;
