import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { accounts, users } from '../../db/schema/index.ts';
import type { InstagramMe } from '../../instagram/graph-client.ts';
import { profileFieldsOf, type AccountRow } from '../accounts/accounts.repository.ts';

export const OAUTH_PROVIDER = 'instagram';

export type UserRow = typeof users.$inferSelect;

/** What a successful token exchange leaves to store: the encrypted long-lived token and the profile. */
export type LinkedToken = { encrypted: string; expiresAt: Date; issuedAt: Date; scopes: string[] };

/** Users signed in with Instagram, and the account row an OAuth link creates or refreshes. */
export function createOAuthLinkRepository(db: Db) {
  return {
    async findUserByProvider(providerId: string, tx: Db = db): Promise<UserRow | undefined> {
      const [row] = await tx
        .select()
        .from(users)
        .where(and(eq(users.oauthProvider, OAUTH_PROVIDER), eq(users.oauthProviderId, providerId)))
        .limit(1);
      return row;
    },
    async findUser(userId: string, tx: Db = db): Promise<UserRow | undefined> {
      const [row] = await tx.select().from(users).where(eq(users.id, userId)).limit(1);
      return row;
    },
    async usernameTaken(username: string, tx: Db = db): Promise<boolean> {
      const [row] = await tx
        .select({ id: users.id })
        .from(users)
        .where(eq(sql`lower(${users.username})`, username.toLowerCase()))
        .limit(1);
      return row !== undefined;
    },
    /** A user who signs in with Instagram only: no password. */
    async insertInstagramUser(username: string, providerId: string, tx: Db = db): Promise<UserRow> {
      const [row] = await tx
        .insert(users)
        .values({ username, passwordHash: null, oauthProvider: OAUTH_PROVIDER, oauthProviderId: providerId })
        .returning();
      if (!row) throw new Error('user insert returned no row');
      return row;
    },
    /**
     * Creates the account, or refreshes the one with this IG id: new token, profile, `active`. Locks the row, so
     * two links of one account in parallel serialize. Answers the row and its status before the link.
     */
    async upsertAccount(me: InstagramMe, token: LinkedToken, now: Date, tx: Db): Promise<{ row: AccountRow; before: AccountRow | undefined }> {
      const [before] = await tx.select().from(accounts).where(eq(accounts.igUserId, me.userId)).for('update');
      const values = {
        ...profileFieldsOf(me),
        accessTokenEncrypted: token.encrypted,
        tokenExpiresAt: token.expiresAt,
        tokenIssuedAt: token.issuedAt,
        scopes: token.scopes,
        lastSyncedAt: now,
        status: 'active' as const,
        statusReason: null,
        updatedAt: now,
      };
      if (before) {
        const statusChange = before.status === 'active' ? {} : { statusChangedAt: now };
        const [row] = await tx
          .update(accounts)
          .set({ ...values, ...statusChange })
          .where(eq(accounts.id, before.id))
          .returning();
        if (!row) throw new Error('account update returned no row');
        return { row, before };
      }
      const [row] = await tx
        .insert(accounts)
        .values({ igUserId: me.userId, ...values, statusChangedAt: now })
        .returning();
      if (!row) throw new Error('account insert returned no row');
      return { row, before: undefined };
    },
  };
}
export type OAuthLinkRepository = ReturnType<typeof createOAuthLinkRepository>;
