import { and, asc, desc, eq, isNotNull, lt, lte, ne, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { accounts, userAccounts, users } from '../../db/schema/index.ts';
import type { AccountProfile } from '../../instagram/account-graph.ts';
import { announceAccessChange } from '../auth/access-changes.repository.ts';
import type { AccountRole } from './account-access.repository.ts';

export type AccountRow = typeof accounts.$inferSelect;
export type MembershipRow = typeof userAccounts.$inferSelect;

/** The account columns a profile read fills (on link and on every profile sync); what the host does not say stays. */
export function profileFieldsOf(p: Omit<AccountProfile, 'igUserId'>) {
  return {
    ...(p.igAppScopedId === undefined ? {} : { igAppScopedId: p.igAppScopedId }),
    ...(p.username === undefined ? {} : { username: p.username }),
    name: p.name ?? null,
    accountType: p.accountType ?? null,
    profilePictureUrl: p.profilePictureUrl ?? null,
    followersCount: p.followersCount ?? null,
    followsCount: p.followsCount ?? null,
    mediaCount: p.mediaCount ?? null,
    ...(p.page === null ? {} : { facebookPageId: p.page.id, facebookPageName: p.page.name }),
  };
}

/** Accounts and memberships: the only code of the accounts module that touches Drizzle. */
export function createAccountsRepository(db: Db) {
  return {
    async find(accountId: string, tx: Db = db): Promise<AccountRow | undefined> {
      const [row] = await tx.select().from(accounts).where(eq(accounts.id, accountId)).limit(1);
      return row;
    },
    /** What a Graph call for the account needs: its status, path, ids and stored (encrypted) token. */
    async connectionOf(accountId: string, tx: Db = db) {
      const [row] = await tx
        .select({
          id: accounts.id,
          status: accounts.status,
          igUserId: accounts.igUserId,
          loginPath: accounts.loginPath,
          facebookPageId: accounts.facebookPageId,
          isLegacy: accounts.isLegacy,
          tokenEncrypted: accounts.accessTokenEncrypted,
        })
        .from(accounts)
        .where(eq(accounts.id, accountId))
        .limit(1);
      return row;
    },
    async findByIgUserId(igUserId: string, tx: Db = db): Promise<AccountRow | undefined> {
      const [row] = await tx.select().from(accounts).where(eq(accounts.igUserId, igUserId)).limit(1);
      return row;
    },
    /** The user's accounts with their role: primary first, then in the order they were linked. */
    async listForUser(userId: string, tx: Db = db) {
      return tx
        .select({ account: accounts, role: userAccounts.role, isPrimary: userAccounts.isPrimary, linkedAt: userAccounts.linkedAt })
        .from(userAccounts)
        .innerJoin(accounts, eq(accounts.id, userAccounts.accountId))
        .where(eq(userAccounts.userId, userId))
        .orderBy(desc(userAccounts.isPrimary), asc(userAccounts.linkedAt), asc(accounts.id));
    },
    async members(accountId: string, tx: Db = db) {
      return tx
        .select({ userId: users.id, username: users.username, role: userAccounts.role, linkedAt: userAccounts.linkedAt })
        .from(userAccounts)
        .innerJoin(users, eq(users.id, userAccounts.userId))
        .where(eq(userAccounts.accountId, accountId))
        .orderBy(asc(userAccounts.linkedAt), asc(users.username));
    },
    async membership(userId: string, accountId: string, tx: Db = db): Promise<MembershipRow | undefined> {
      const [row] = await tx
        .select()
        .from(userAccounts)
        .where(and(eq(userAccounts.userId, userId), eq(userAccounts.accountId, accountId)))
        .limit(1);
      return row;
    },
    async countMembers(accountId: string, tx: Db = db): Promise<{ members: number; owners: number }> {
      const [row] = await tx
        .select({
          members: sql<number>`count(*)::int`,
          owners: sql<number>`(count(*) filter (where ${userAccounts.role} = 'owner'))::int`,
        })
        .from(userAccounts)
        .where(eq(userAccounts.accountId, accountId));
      return { members: row?.members ?? 0, owners: row?.owners ?? 0 };
    },
    async hasPrimary(userId: string, tx: Db = db): Promise<boolean> {
      const [row] = await tx
        .select({ accountId: userAccounts.accountId })
        .from(userAccounts)
        .where(and(eq(userAccounts.userId, userId), eq(userAccounts.isPrimary, true)))
        .limit(1);
      return row !== undefined;
    },
    /** Adds a membership (primary when the user has none yet); an existing one keeps its role. */
    async addMember(userId: string, accountId: string, role: AccountRole, tx: Db = db): Promise<MembershipRow> {
      const isPrimary = !(await this.hasPrimary(userId, tx));
      await tx.insert(userAccounts).values({ userId, accountId, role, isPrimary }).onConflictDoNothing();
      const row = await this.membership(userId, accountId, tx);
      if (!row) throw new Error('membership insert returned no row');
      return row;
    },
    async setRole(userId: string, accountId: string, role: AccountRole, tx: Db = db): Promise<void> {
      await tx
        .update(userAccounts)
        .set({ role })
        .where(and(eq(userAccounts.userId, userId), eq(userAccounts.accountId, accountId)));
      await announceAccessChange(tx, [userId]);
    },
    /** Removes a membership; when it was the user's primary, their earliest other account becomes primary. */
    async removeMember(userId: string, accountId: string, tx: Db = db): Promise<void> {
      const [removed] = await tx
        .delete(userAccounts)
        .where(and(eq(userAccounts.userId, userId), eq(userAccounts.accountId, accountId)))
        .returning();
      // their live streams of this account end on every process when this commits
      if (removed) await announceAccessChange(tx, [userId]);
      if (!removed?.isPrimary) return;
      const [next] = await tx
        .select({ accountId: userAccounts.accountId })
        .from(userAccounts)
        .where(and(eq(userAccounts.userId, userId), ne(userAccounts.accountId, accountId)))
        .orderBy(asc(userAccounts.linkedAt))
        .limit(1);
      if (next) await this.setPrimary(userId, next.accountId, tx);
    },
    async setPrimary(userId: string, accountId: string, tx: Db = db): Promise<void> {
      // Two statements: the partial unique index allows one primary per user at any moment.
      await tx
        .update(userAccounts)
        .set({ isPrimary: false })
        .where(and(eq(userAccounts.userId, userId), eq(userAccounts.isPrimary, true), ne(userAccounts.accountId, accountId)));
      await tx
        .update(userAccounts)
        .set({ isPrimary: true })
        .where(and(eq(userAccounts.userId, userId), eq(userAccounts.accountId, accountId)));
    },
    async update(accountId: string, values: Partial<typeof accounts.$inferInsert>, tx: Db = db): Promise<AccountRow | undefined> {
      const [row] = await tx
        .update(accounts)
        .set({ ...values, updatedAt: new Date() })
        .where(eq(accounts.id, accountId))
        .returning();
      return row;
    },
    async insert(values: typeof accounts.$inferInsert, tx: Db = db): Promise<AccountRow> {
      const [row] = await tx.insert(accounts).values(values).returning();
      if (!row) throw new Error('account insert returned no row');
      return row;
    },
    /** Locks the account row for the rest of the transaction (membership changes must not race). */
    async lock(accountId: string, tx: Db): Promise<AccountRow | undefined> {
      const [row] = await tx.select().from(accounts).where(eq(accounts.id, accountId)).for('update');
      return row;
    },
    async findUserByUsername(username: string, tx: Db = db) {
      const [row] = await tx
        .select({ id: users.id, username: users.username })
        .from(users)
        .where(eq(sql`lower(${users.username})`, username.trim().toLowerCase()))
        .limit(1);
      return row;
    },
    /** Active accounts whose stored token expires before `expiresBefore` and was issued before `issuedBefore`. */
    async dueForRefresh(expiresBefore: Date, issuedBefore: Date, limit: number, tx: Db = db) {
      return tx
        .select({ id: accounts.id, token: accounts.accessTokenEncrypted, tokenExpiresAt: accounts.tokenExpiresAt })
        .from(accounts)
        .where(
          and(
            eq(accounts.status, 'active'),
            // Page tokens (facebook_login) do not expire and cannot be refreshed: the daily profile read checks them.
            eq(accounts.loginPath, 'instagram_login'),
            isNotNull(accounts.accessTokenEncrypted),
            lte(accounts.tokenExpiresAt, expiresBefore),
            or(lte(accounts.tokenIssuedAt, issuedBefore), sql`${accounts.tokenIssuedAt} is null`),
          ),
        )
        .orderBy(asc(accounts.tokenExpiresAt))
        .limit(limit);
    },
    /** Active accounts with a stored token whose profile was last read before `before` (or never). */
    async dueForProfileSync(before: Date, limit: number, tx: Db = db) {
      return tx
        .select({ id: accounts.id })
        .from(accounts)
        .where(
          and(
            eq(accounts.status, 'active'),
            or(lt(accounts.lastSyncedAt, before), sql`${accounts.lastSyncedAt} is null`),
          ),
        )
        .orderBy(sql`${accounts.lastSyncedAt} asc nulls first`)
        .limit(limit);
    },
    /** The earliest instance administrator who is not disabled. */
    async firstAdministrator(tx: Db = db) {
      const [row] = await tx
        .select({ id: users.id, username: users.username })
        .from(users)
        .where(and(eq(users.isAdmin, true), sql`${users.disabledAt} is null`))
        .orderBy(asc(users.createdAt))
        .limit(1);
      return row;
    },
  };
}
export type AccountsRepository = ReturnType<typeof createAccountsRepository>;
