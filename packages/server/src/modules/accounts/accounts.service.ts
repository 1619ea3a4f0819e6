import type { AccountRole as ContractRole } from '@threadline/contract';
import type { InboxUnitsOfWork } from '../../events/inbox-events.ts';
import type { Db } from '../../db/client.ts';
import type { AuditEntry } from '../audit/audit.repository.ts';
import type { Logger } from '../../shared/logger.ts';
import { assertManages, roleAtLeast, type AccountAccess } from './account-access.ts';
import type { AccountGraphs } from './account-graphs.ts';
import type { AccountStatus } from './account-status.ts';
import type { AccountsRepository } from './accounts.repository.ts';
import { accountErrors } from './accounts.errors.ts';

export type AccountsServiceDeps = {
  /** Opens every transaction of the service; a disconnection records inbox events in its unit. */
  units: Pick<InboxUnitsOfWork, 'run'>;
  repo: AccountsRepository;
  access: AccountAccess;
  status: AccountStatus;
  graphs: Pick<AccountGraphs, 'forAccount'>;
  audit: (entry: AuditEntry, tx?: Db) => Promise<void>;
  log: Logger;
};

/**
 * The user's accounts, the primary one, membership management and unlinking. Owners manage every member;
 * admins manage viewers; anyone may leave. The last owner cannot leave while others remain, and when the last
 * member leaves the account is disconnected: webhooks unsubscribed, token deleted.
 */
export function createAccountsService(deps: AccountsServiceDeps) {
  const { repo, access, status, graphs, audit, log, units } = deps;

  /** Removes `userId` from the account; disconnects the account when nobody is left. */
  async function removeMembership(actorUserId: string, accountId: string, userId: string): Promise<{ disconnected: boolean }> {
    // Bound before the transaction: once the account is disconnected the token is gone, and Meta should stop
    // sending its webhooks. The network call is made after the commit, never inside it.
    const client = await graphs.forAccount(accountId).catch(() => null);
    const disconnected = await units.run(async (uow) => {
      const { tx } = uow;
      await repo.lock(accountId, tx);
      const target = await repo.membership(userId, accountId, tx);
      if (!target) throw accountErrors.memberNotFound();
      const counts = await repo.countMembers(accountId, tx);
      if (target.role === 'owner' && counts.owners === 1 && counts.members > 1) {
        throw accountErrors.lastOwnerLeaving();
      }
      await repo.removeMember(userId, accountId, tx);
      await audit({ action: 'accounts.member_removed', actorUserId, accountId, target: userId }, tx);
      if (counts.members > 1) return false;
      await status.markDisconnected(accountId, 'the last member unlinked the account', uow);
      return true;
    });
    if (disconnected && client) {
      await client.unsubscribe().catch((error: unknown) => {
        log.warn({ accountId, err: error }, 'could not unsubscribe the account from webhooks');
      });
    }
    return { disconnected };
  }

  return {
    listMine: (userId: string) => repo.listForUser(userId),

    async setPrimary(userId: string, accountId: string): Promise<void> {
      await access.requireRole(userId, accountId, 'viewer');
      await units.run(({ tx }) => repo.setPrimary(userId, accountId, tx));
    },

    /** The owner removes the account from their list (`DELETE …/unlink`). */
    async unlink(userId: string, accountId: string) {
      await access.requireRole(userId, accountId, 'owner');
      return removeMembership(userId, accountId, userId);
    },

    async members(userId: string, accountId: string) {
      await access.requireRole(userId, accountId, 'viewer');
      return repo.members(accountId);
    },

    async addMember(actorUserId: string, accountId: string, input: { username: string; role: ContractRole }) {
      const actor = await access.requireRole(actorUserId, accountId, 'admin');
      assertManages(actor.role, input.role);
      const user = await repo.findUserByUsername(input.username);
      if (!user) throw accountErrors.noSuchUsername(input.username);
      if (await repo.membership(user.id, accountId)) {
        throw accountErrors.alreadyMember(user.username);
      }
      await units.run(async ({ tx }) => {
        await repo.addMember(user.id, accountId, input.role, tx);
        await audit({ action: 'accounts.member_added', actorUserId, accountId, target: user.id, details: { role: input.role } }, tx);
      });
      const added = (await repo.members(accountId)).find((m) => m.userId === user.id);
      if (!added) throw accountErrors.memberNotFound();
      return added;
    },

    async updateMember(actorUserId: string, accountId: string, userId: string, role: ContractRole) {
      const actor = await access.requireRole(actorUserId, accountId, 'admin');
      await units.run(async ({ tx }) => {
        await repo.lock(accountId, tx);
        const target = await repo.membership(userId, accountId, tx);
        if (!target) throw accountErrors.memberNotFound();
        assertManages(actor.role, target.role, role);
        const counts = await repo.countMembers(accountId, tx);
        if (target.role === 'owner' && role !== 'owner' && counts.owners === 1) {
          throw accountErrors.lastOwnerDemoted();
        }
        await repo.setRole(userId, accountId, role, tx);
        await audit({ action: 'accounts.member_updated', actorUserId, accountId, target: userId, details: { role } }, tx);
      });
      const updated = (await repo.members(accountId)).find((m) => m.userId === userId);
      if (!updated) throw accountErrors.memberNotFound();
      return updated;
    },

    /** An owner or admin removes a member; any member may remove themselves (leave). */
    async removeMember(actorUserId: string, accountId: string, userId: string) {
      const actor = await access.requireRole(actorUserId, accountId, 'viewer');
      if (userId !== actorUserId) {
        if (!roleAtLeast(actor.role, 'admin')) await access.requireRole(actorUserId, accountId, 'admin');
        const target = await repo.membership(userId, accountId);
        if (!target) throw accountErrors.memberNotFound();
        assertManages(actor.role, target.role);
      }
      return removeMembership(actorUserId, accountId, userId);
    },
  };
}
export type AccountsService = ReturnType<typeof createAccountsService>;
