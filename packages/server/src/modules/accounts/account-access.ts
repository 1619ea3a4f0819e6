import type { Db } from '../../db/client.ts';
import { accountErrors } from './accounts.errors.ts';
import { createAccountAccessRepository, type AccountRole } from './account-access.repository.ts';

export type { AccountRole };
const RANK: Record<AccountRole, number> = { viewer: 1, admin: 2, owner: 3 };

/**
 * Who may touch which account. A user who is not a member gets 404 (the account's existence is not
 * revealed); a member whose role is too low gets 403 naming the role needed.
 */
export function createAccountAccess(db: Db) {
  const repo = createAccountAccessRepository(db);
  return {
    membership: (userId: string, accountId: string, tx: Db = db) => repo.membership(userId, accountId, tx),
    /** Every account the user belongs to (the "All accounts" inbox reads these). */
    accountIdsOf: (userId: string, tx: Db = db): Promise<string[]> => repo.accountIdsOf(userId, tx),
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
