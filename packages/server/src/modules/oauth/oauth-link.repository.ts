import { and, eq, sql } from 'drizzle-orm';
import type { LoginPath } from '@threadline/contract';
import type { Db } from '../../db/client.ts';
import { accounts, users } from '../../db/schema/index.ts';
import type { AccountProfile } from '../../instagram/account-graph.ts';
import { profileFieldsOf, type AccountRow } from '../accounts/accounts.repository.ts';

export type UserRow = typeof users.$inferSelect;

/** What a successful token exchange leaves to store: the encrypted token (no expiry for a Page token), its scopes. */
export type LinkedToken = { encrypted: string; expiresAt: Date | null; issuedAt: Date; scopes: string[] };

/** How the account is reached: the path, and for facebook_login the Page and the person who linked it. */
export type LinkedConnection =
  | { loginPath: 'instagram_login' }
  | { loginPath: 'facebook_login'; facebookPageId: string; facebookPageName: string; facebookUserId: string };

/** The profile of the account being linked, keyed by its Instagram id. */
export type LinkedProfile = Omit<AccountProfile, 'igUserId'> & { igUserId: string; username: string };

/** Users signed in through Meta, and the account row an OAuth link creates or refreshes. */
export function createOAuthLinkRepository(db: Db) {
  return {
    async findUserByProvider(provider: string, providerId: string, tx: Db = db): Promise<UserRow | undefined> {
      const [row] = await tx
        .select()
        .from(users)
        .where(and(eq(users.oauthProvider, provider), eq(users.oauthProviderId, providerId)))
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
    /** A user who signs in through Meta only: no password. */
    async insertOAuthUser(username: string, provider: string, providerId: string, tx: Db = db): Promise<UserRow> {
      const [row] = await tx
        .insert(users)
        .values({ username, passwordHash: null, oauthProvider: provider, oauthProviderId: providerId })
        .returning();
      if (!row) throw new Error('user insert returned no row');
      return row;
    },
    /**
     * Creates the account, or refreshes the one with this IG id: new token, path, profile, `active`. The newest link
     * decides the path; conversations stay, keyed by the Instagram id. Locks the row, so two links of one account in
     * parallel serialize. Answers the row and the row before the link.
     */
    async upsertAccount(
      profile: LinkedProfile,
      token: LinkedToken,
      connection: LinkedConnection,
      now: Date,
      tx: Db,
    ): Promise<{ row: AccountRow; before: AccountRow | undefined }> {
      const [before] = await tx.select().from(accounts).where(eq(accounts.igUserId, profile.igUserId)).for('update');
      const path: { loginPath: LoginPath; facebookPageId: string | null; facebookPageName: string | null; facebookUserId: string | null } =
        connection.loginPath === 'facebook_login'
          ? connection
          : { loginPath: 'instagram_login', facebookPageId: null, facebookPageName: null, facebookUserId: null };
      const values = {
        ...profileFieldsOf(profile),
        username: profile.username,
        ...path,
        accessTokenEncrypted: token.encrypted,
        refreshTokenEncrypted: null,
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
        .values({ igUserId: profile.igUserId, ...values, statusChangedAt: now })
        .returning();
      if (!row) throw new Error('account insert returned no row');
      return { row, before: undefined };
    },
  };
}
export type OAuthLinkRepository = ReturnType<typeof createOAuthLinkRepository>;
