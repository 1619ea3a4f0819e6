import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { userAccounts } from '../../db/schema/index.ts';

export type AccountRole = (typeof userAccounts.$inferSelect)['role'];

/** Memberships as access checks read them: on nearly every request. */
export function createAccountAccessRepository(db: Db) {
  // On the pool built once and prepared by name (a transaction builds its own).
  const membership = (on: Db) =>
    on
      .select()
      .from(userAccounts)
      .where(and(eq(userAccounts.userId, sql.placeholder('userId')), eq(userAccounts.accountId, sql.placeholder('accountId'))))
      .limit(1);
  const preparedMembership = membership(db).prepare('access_membership');
  return {
    async membership(userId: string, accountId: string, tx: Db = db) {
      const [row] = await (tx === db ? preparedMembership : membership(tx)).execute({ userId, accountId });
      return row;
    },
    async accountIdsOf(userId: string, tx: Db = db): Promise<string[]> {
      const rows = await tx.select({ accountId: userAccounts.accountId }).from(userAccounts).where(eq(userAccounts.userId, userId));
      return rows.map((r) => r.accountId);
    },
  };
}
