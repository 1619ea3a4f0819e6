import type { Db } from '../../db/client.ts';
import type { Logger } from '../../shared/logger.ts';
import { recordAll, type InboxUnitOfWork, type InboxUnitsOfWork } from '../../events/inbox-events.ts';
import { createAccountStatusRepository } from './account-status.repository.ts';

/**
 * Account status transitions. Meta answering 190 anywhere (refresh, send, profile) means the token no longer
 * works: the account becomes `reauth_required`, once, and the CRM and the inbox hear of it.
 */
export function createAccountStatus(db: Db, units: InboxUnitsOfWork, log: Logger) {
  const repo = createAccountStatusRepository(db);
  return {
    async markReauthRequired(accountId: string, reason: string): Promise<boolean> {
      return units.run(async (uow) => {
        if (!(await repo.markReauthRequired(accountId, reason.slice(0, 500), uow.tx))) return false;
        await recordAll(uow, [{ type: 'account.reauth_required', accountId, occurredAt: new Date() }]);
        log.warn({ accountId, reason }, 'account needs re-authorization');
        return true;
      });
    },
    async markActive(accountId: string, tx: Db = db): Promise<void> {
      await repo.markActive(accountId, tx);
    },
    /** A new OAuth link (or relink) of the account: the CRM and the inbox hear `account.connected`, inside `uow`. */
    async recordConnected(accountId: string, uow: InboxUnitOfWork): Promise<void> {
      await recordAll(uow, [{ type: 'account.connected', accountId, occurredAt: new Date() }]);
    },
    /**
     * The token is deleted and the account is `disconnected` (the last member left, or Meta deauthorized the app);
     * `account.disconnected` is recorded once, inside `uow`. Messages still waiting to be sent fail with the reason:
     * none goes out later with a token that no longer belongs here. Answers whether the status changed.
     */
    async markDisconnected(accountId: string, reason: string, uow: InboxUnitOfWork): Promise<boolean> {
      const { tx } = uow;
      const before = await repo.lockStatus(accountId, tx);
      if (!before) return false;
      await repo.markDisconnected(accountId, reason.slice(0, 500), tx);
      const failed = await repo.failQueuedOutbound(accountId, `Not sent: the Instagram account was disconnected (${reason}).`.slice(0, 500), tx);
      const at = new Date();
      await recordAll(uow, failed.map((m) => ({ type: 'message.updated' as const, accountId, conversationId: m.conversationId, messageId: m.id, occurredAt: at })),
      );
      if (before.status === 'disconnected') return false;
      await recordAll(uow, [{ type: 'account.disconnected', accountId, occurredAt: new Date() }]);
      log.info({ accountId, reason }, 'account disconnected');
      return true;
    },
  };
}
export type AccountStatus = ReturnType<typeof createAccountStatus>;
