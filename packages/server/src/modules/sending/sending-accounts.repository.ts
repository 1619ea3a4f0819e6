import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { accounts } from '../../db/schema/index.ts';

/** What sending reads and writes of an account: whether it may send now, and Meta's pause. */
export function createSendingAccountsRepository(db: Db) {
  return {
    async find(accountId: string, tx: Db = db) {
      const [account] = await tx.select().from(accounts).where(eq(accounts.id, accountId));
      return account;
    },
    async status(accountId: string, tx: Db = db) {
      const [account] = await tx.select({ status: accounts.status }).from(accounts).where(eq(accounts.id, accountId));
      return account?.status;
    },
    async sendState(accountId: string, tx: Db = db) {
      const [account] = await tx
        .select({ status: accounts.status, statusReason: accounts.statusReason, pausedUntil: accounts.sendPausedUntil })
        .from(accounts)
        .where(eq(accounts.id, accountId));
      return account;
    },
    /** Meta asked for a pause: no send of the account starts before `until`. */
    async pauseSends(accountId: string, until: Date, tx: Db = db): Promise<void> {
      await tx.update(accounts).set({ sendPausedUntil: until }).where(eq(accounts.id, accountId));
    },
  };
}
export type SendingAccountsRepository = ReturnType<typeof createSendingAccountsRepository>;
