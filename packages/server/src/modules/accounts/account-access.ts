import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { userAccounts, ACCOUNT_ROLES } from '../../db/schema/index.ts';
import { accountErrors } from './accounts.errors.ts';

export type AccountRole = (typeof ACCOUNT_ROLES)[number];
const RANK: Record<AccountRole, number> = { viewer: 1, admin: 2, owner: 3 };

/**
 * Who may touch which account. A user who is not a member gets 404 (the account's existence is not
 * revealed); a member whose role is too low gets 403 naming the role needed.
 */
export function createAccountAccess(db: Db) {
  // Checked on nearly every request: on the pool built once and prepared by name (a transaction builds its own).
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
    /** Every account the user belongs to (the "All accounts" inbox reads these). */
    async accountIdsOf(userId: string, tx: Db = db): Promise<string[]> {
      const rows = await tx.select({ accountId: userAccounts.accountId }).from(userAccounts).where(eq(userAccounts.userId, userId));
      return rows.map((r) => r.accountId);
    },
    async requireRole(userId: string, accountId: string, minRole: AccountRole, tx: Db = db) {
      const row = await this.membership(userId, accountId, tx);
      if (!row) throw accountErrors.notFound();
      if (RANK[row.role] < RANK[minRole]) {
        throw accountErrors.forbiddenRole(minRole, row.role);
      }
      return row;
    },
  };
}
export type AccountAccess = ReturnType<typeof createAccountAccess>;

export function roleAtLeast(role: AccountRole, min: AccountRole): boolean {
  return RANK[role] >= RANK[min];
}

/** What an actor of `actorRole` may do to a member of `targetRole` (or grant by invitation): owners anything, admins viewers only. */
export function assertManages(actorRole: AccountRole, targetRole: AccountRole, newRole?: AccountRole): void {
  if (actorRole === 'owner') return;
  if (actorRole === 'admin' && targetRole === 'viewer' && (newRole === undefined || newRole === 'viewer')) return;
  throw accountErrors.managesOnlyLowerRoles();
}
