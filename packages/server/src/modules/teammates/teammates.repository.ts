import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Db } from '../../db/client.ts';
import { accounts, invitations, passwordResets, users } from '../../db/schema/index.ts';

export type InvitationRow = typeof invitations.$inferSelect;
export type PasswordResetRow = typeof passwordResets.$inferSelect;

/** Invitation links and password-reset links: rows keyed by the hash of their token. */
export function createTeammatesRepository(db: Db) {
  const creator = alias(users, 'creator');
  const usedBy = alias(users, 'used_by');
  return {
    async insertInvitation(values: typeof invitations.$inferInsert, tx: Db = db): Promise<InvitationRow> {
      const [row] = await tx.insert(invitations).values(values).returning();
      if (!row) throw new Error('invitation insert returned no row');
      return row;
    },
    /** An account's invitations, newest first, with who made and who used each. */
    async listInvitations(accountId: string | null, limit = 100, tx: Db = db) {
      return tx
        .select({ invitation: invitations, createdBy: creator.username, usedBy: usedBy.username })
        .from(invitations)
        .leftJoin(creator, eq(creator.id, invitations.createdByUserId))
        .leftJoin(usedBy, eq(usedBy.id, invitations.usedByUserId))
        .where(accountId === null ? isNull(invitations.accountId) : eq(invitations.accountId, accountId))
        .orderBy(desc(invitations.createdAt))
        .limit(limit);
    },
    async findInvitation(id: string, tx: Db = db): Promise<InvitationRow | undefined> {
      const [row] = await tx.select().from(invitations).where(eq(invitations.id, id)).limit(1);
      return row;
    },
    async findInvitationByTokenHash(tokenHash: string, tx: Db = db) {
      const [row] = await tx
        .select({ invitation: invitations, accountUsername: accounts.username })
        .from(invitations)
        .leftJoin(accounts, eq(accounts.id, invitations.accountId))
        .where(eq(invitations.tokenHash, tokenHash))
        .limit(1);
      return row;
    },
    /** The invitation, locked until the transaction ends: two people using one link serialize here. */
    async lockInvitation(id: string, tx: Db): Promise<InvitationRow | undefined> {
      const [row] = await tx.select().from(invitations).where(eq(invitations.id, id)).for('update');
      return row;
    },
    async markInvitationUsed(id: string, userId: string, at: Date, tx: Db): Promise<void> {
      await tx.update(invitations).set({ usedAt: at, usedByUserId: userId }).where(eq(invitations.id, id));
    },
    async revokeInvitation(id: string, at: Date, tx: Db = db): Promise<void> {
      await tx
        .update(invitations)
        .set({ revokedAt: at })
        .where(and(eq(invitations.id, id), isNull(invitations.usedAt), isNull(invitations.revokedAt)));
    },

    async insertPasswordReset(values: typeof passwordResets.$inferInsert, tx: Db = db): Promise<void> {
      await tx.insert(passwordResets).values(values);
    },
    /** Earlier unused links of the user stop working when a new one is issued. */
    async expireUnusedPasswordResets(userId: string, at: Date, tx: Db = db): Promise<void> {
      await tx
        .update(passwordResets)
        .set({ expiresAt: at })
        .where(and(eq(passwordResets.userId, userId), isNull(passwordResets.usedAt), sql`${passwordResets.expiresAt} > ${at}`));
    },
    async findPasswordReset(tokenHash: string, tx: Db = db) {
      const [row] = await tx
        .select({ reset: passwordResets, username: users.username, disabledAt: users.disabledAt })
        .from(passwordResets)
        .innerJoin(users, eq(users.id, passwordResets.userId))
        .where(eq(passwordResets.tokenHash, tokenHash))
        .limit(1);
      return row;
    },
    async lockPasswordReset(tokenHash: string, tx: Db): Promise<PasswordResetRow | undefined> {
      const [row] = await tx.select().from(passwordResets).where(eq(passwordResets.tokenHash, tokenHash)).for('update');
      return row;
    },
    async markPasswordResetUsed(tokenHash: string, at: Date, tx: Db): Promise<void> {
      await tx.update(passwordResets).set({ usedAt: at }).where(eq(passwordResets.tokenHash, tokenHash));
    },
    async deleteSpent(before: Date, tx: Db = db): Promise<void> {
      await tx.delete(passwordResets).where(sql`${passwordResets.expiresAt} < ${before}`);
    },
  };
}
export type TeammatesRepository = ReturnType<typeof createTeammatesRepository>;
