import { and, eq, ne } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { accounts, messages } from '../../db/schema/index.ts';
import type { Logger } from '../../shared/logger.ts';
import { recordAll, type InboxUnitOfWork, type InboxUnitsOfWork } from '../inbox/inbox-events.ts';

/**
 * Account status transitions. Meta answering 190 anywhere (refresh, send, profile) means the token no longer
 * works: the account becomes `reauth_required`, once, and the CRM and the inbox hear of it.
 */
export function createAccountStatus(db: Db, units: InboxUnitsOfWork, log: Logger) {
  return {
    async markReauthRequired(accountId: string, reason: string): Promise<boolean> {
      return units.run(async (uow) => {
        const { tx } = uow;
        const changed = await tx
          .update(accounts)
          .set({ status: 'reauth_required', statusReason: reason.slice(0, 500), statusChangedAt: new Date(), updatedAt: new Date() })
          .where(and(eq(accounts.id, accountId), eq(accounts.status, 'active')))
          .returning({ id: accounts.id });
        if (changed.length === 0) return false;
        await recordAll(uow, [{ type: 'account.reauth_required', accountId, occurredAt: new Date() }]);
        log.warn({ accountId, reason }, 'account needs re-authorization');
        return true;
      });
    },
    async markActive(accountId: string, tx: Db = db): Promise<void> {
      await tx
        .update(accounts)
        .set({ status: 'active', statusReason: null, statusChangedAt: new Date(), updatedAt: new Date() })
        .where(and(eq(accounts.id, accountId), ne(accounts.status, 'active')));
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
      const [before] = await tx.select({ status: accounts.status }).from(accounts).where(eq(accounts.id, accountId)).for('update');
      if (!before) return false;
      await tx
        .update(accounts)
        .set({
          accessTokenEncrypted: null,
          refreshTokenEncrypted: null,
          tokenExpiresAt: null,
          tokenIssuedAt: null,
          status: 'disconnected',
          statusReason: reason.slice(0, 500),
          statusChangedAt: new Date(),
          updatedAt: new Date(),
        })
        .where(eq(accounts.id, accountId));
      const failed = await tx
        .update(messages)
        .set({ status: 'failed', errorMessage: `Not sent: the Instagram account was disconnected (${reason}).`.slice(0, 500), updatedAt: new Date() })
        .where(and(eq(messages.accountId, accountId), eq(messages.direction, 'outbound'), eq(messages.status, 'queued')))
        .returning({ id: messages.id, conversationId: messages.conversationId });
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
