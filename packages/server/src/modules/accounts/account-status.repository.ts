import { and, eq, ne } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { accounts, messages } from '../../db/schema/index.ts';

/** The status columns of an account, and what a status change does to its queued messages. */
export function createAccountStatusRepository(db: Db) {
  return {
    /** `active` → `reauth_required`; answers whether this call made the change. */
    async markReauthRequired(accountId: string, reason: string, tx: Db = db): Promise<boolean> {
      const changed = await tx
        .update(accounts)
        .set({ status: 'reauth_required', statusReason: reason, statusChangedAt: new Date(), updatedAt: new Date() })
        .where(and(eq(accounts.id, accountId), eq(accounts.status, 'active')))
        .returning({ id: accounts.id });
      return changed.length > 0;
    },
    async markActive(accountId: string, tx: Db = db): Promise<void> {
      await tx
        .update(accounts)
        .set({ status: 'active', statusReason: null, statusChangedAt: new Date(), updatedAt: new Date() })
        .where(and(eq(accounts.id, accountId), ne(accounts.status, 'active')));
    },
    /** The account's status, its row locked for the rest of `tx`. */
    async lockStatus(accountId: string, tx: Db = db) {
      const [row] = await tx.select({ status: accounts.status }).from(accounts).where(eq(accounts.id, accountId)).for('update');
      return row;
    },
    /** Drops the stored tokens and marks the account `disconnected`. */
    async markDisconnected(accountId: string, reason: string, tx: Db = db): Promise<void> {
      await tx
        .update(accounts)
        .set({
          accessTokenEncrypted: null,
          refreshTokenEncrypted: null,
          tokenExpiresAt: null,
          tokenIssuedAt: null,
          status: 'disconnected',
          statusReason: reason,
          statusChangedAt: new Date(),
          updatedAt: new Date(),
        })
        .where(eq(accounts.id, accountId));
    },
    /** The account's outbound messages still queued become `failed` with `errorMessage`; answers which. */
    async failQueuedOutbound(accountId: string, errorMessage: string, tx: Db = db) {
      return tx
        .update(messages)
        .set({ status: 'failed', errorMessage, updatedAt: new Date() })
        .where(and(eq(messages.accountId, accountId), eq(messages.direction, 'outbound'), eq(messages.status, 'queued')))
        .returning({ id: messages.id, conversationId: messages.conversationId });
    },
  };
}
