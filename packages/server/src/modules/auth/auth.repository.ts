import { and, asc, desc, eq, isNull, ne, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { sessions, userAccounts, users } from '../../db/schema/index.ts';
import { announceAccessChange } from './access-changes.repository.ts';

export type UserRow = typeof users.$inferSelect;

const SETUP_LOCK_KEY = 0x7365_7475; // "setu"

export function createAuthRepository(db: Db) {
  // Every request with a session reads its session and user: in one statement, built once and prepared by name.
  const sessionWithUser = db
    .select({ userId: sessions.userId, revokedAt: sessions.revokedAt, user: users })
    .from(sessions)
    .leftJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.tokenHash, sql.placeholder('tokenHash')))
    .limit(1)
    .prepare('auth_session_with_user');

  return {
    async findUserByUsername(username: string, tx: Db = db): Promise<UserRow | undefined> {
      const [row] = await tx
        .select()
        .from(users)
        .where(eq(sql`lower(${users.username})`, username.trim().toLowerCase()))
        .limit(1);
      return row;
    },
    async findUserById(id: string, tx: Db = db): Promise<UserRow | undefined> {
      const [row] = await tx.select().from(users).where(eq(users.id, id)).limit(1);
      return row;
    },
    /** Serializes first-run setups until `tx` ends: two at once must not both find no user and both create one. */
    async lockFirstUserSetup(tx: Db): Promise<void> {
      await tx.execute(sql`select pg_advisory_xact_lock(${SETUP_LOCK_KEY})`);
    },
    async anyUserExists(tx: Db = db): Promise<boolean> {
      const rows = await tx.select({ id: users.id }).from(users).limit(1);
      return rows.length > 0;
    },
    async listUsers(tx: Db = db): Promise<UserRow[]> {
      return tx.select().from(users).orderBy(asc(users.createdAt));
    },
    async insertUser(values: typeof users.$inferInsert, tx: Db = db): Promise<UserRow> {
      const [row] = await tx.insert(users).values(values).returning();
      if (!row) throw new Error('insert returned no row');
      return row;
    },
    async updateUser(id: string, values: Partial<typeof users.$inferInsert>, tx: Db = db): Promise<UserRow | undefined> {
      const [row] = await tx
        .update(users)
        .set({ ...values, updatedAt: new Date() })
        .where(eq(users.id, id))
        .returning();
      // disabled (or enabled): their live streams are checked again on every process
      if (row && values.disabledAt !== undefined) await announceAccessChange(tx, [row.id]);
      return row;
    },
    /** The account a new session starts on: the primary one, else the first linked, else none. */
    async defaultAccountId(userId: string, tx: Db = db): Promise<string | null> {
      const [row] = await tx
        .select({ accountId: userAccounts.accountId })
        .from(userAccounts)
        .where(eq(userAccounts.userId, userId))
        .orderBy(desc(userAccounts.isPrimary), asc(userAccounts.linkedAt))
        .limit(1);
      return row?.accountId ?? null;
    },
    async insertSession(values: typeof sessions.$inferInsert, tx: Db = db): Promise<void> {
      await tx.insert(sessions).values(values).onConflictDoNothing();
    },
    /** A session and its user in one statement (every request with a session makes this read). */
    async findSessionWithUser(tokenHash: string): Promise<{ userId: string; revokedAt: Date | null; user: UserRow | null } | undefined> {
      const [row] = await sessionWithUser.execute({ tokenHash });
      return row;
    },
    async revokeSession(tokenHash: string, tx: Db = db): Promise<void> {
      const ended = await tx
        .update(sessions)
        .set({ revokedAt: new Date() })
        .where(and(eq(sessions.tokenHash, tokenHash), isNull(sessions.revokedAt)))
        .returning({ userId: sessions.userId });
      await announceAccessChange(tx, ended.map((s) => s.userId));
    },
    /** Ends every session of a user, except `keepTokenHash` when given; their live streams end on every process. */
    async revokeUserSessions(userId: string, keepTokenHash: string | null, tx: Db = db): Promise<void> {
      const keep = keepTokenHash ? ne(sessions.tokenHash, keepTokenHash) : undefined;
      await tx
        .update(sessions)
        .set({ revokedAt: new Date() })
        .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), keep));
      await announceAccessChange(tx, [userId]);
    },
    /**
     * What a live stream may go on with: its session (not revoked), its user (not disabled), still a member of the
     * account. Null when any of them is gone; else when the session expires.
     */
    async streamAccess(tokenHash: string, accountId: string, tx: Db = db): Promise<{ expiresAt: Date } | null> {
      const [row] = await tx
        .select({ expiresAt: sessions.expiresAt })
        .from(sessions)
        .innerJoin(users, eq(users.id, sessions.userId))
        .innerJoin(userAccounts, and(eq(userAccounts.userId, sessions.userId), eq(userAccounts.accountId, accountId)))
        .where(and(eq(sessions.tokenHash, tokenHash), isNull(sessions.revokedAt), isNull(users.disabledAt)))
        .limit(1);
      return row ?? null;
    },
    async deleteExpiredSessions(before: Date, tx: Db = db): Promise<void> {
      await tx.delete(sessions).where(sql`${sessions.expiresAt} < ${before}`);
    },
  };
}
export type AuthRepository = ReturnType<typeof createAuthRepository>;
