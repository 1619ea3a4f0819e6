import { and, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { accounts, contacts, conversations, messages } from '../../db/schema/index.ts';

/** The reads and the settling write of reconciliation (reconcile.ts). */
export function createReconcileRepository(db: Db) {
  return {
    /** Which of these Meta mids the account already has. */
    async knownMids(accountId: string, mids: string[]): Promise<Set<string | null>> {
      const rows = await db.select({ mid: messages.mid }).from(messages).where(and(eq(messages.accountId, accountId), inArray(messages.mid, mids)));
      return new Set(rows.map((k) => k.mid));
    },
    /** Active accounts that hold a token. */
    activeAccounts(): Promise<{ id: string; igUserId: string }[]> {
      return db
        .select({ id: accounts.id, igUserId: accounts.igUserId })
        .from(accounts)
        .where(and(eq(accounts.status, 'active'), sql`${accounts.accessTokenEncrypted} is not null`));
    },
    /** Up to 50 sends of unknown outcome last touched before `cutoff`, of active accounts, with whom they went to. */
    unknownSendsBefore(cutoff: Date) {
      return db
        .select({ m: messages, igsid: contacts.igsid, igUserId: accounts.igUserId })
        .from(messages)
        .innerJoin(conversations, eq(conversations.id, messages.conversationId))
        .innerJoin(contacts, eq(contacts.id, conversations.contactId))
        .innerJoin(accounts, eq(accounts.id, messages.accountId))
        .where(and(eq(messages.status, 'unknown'), lt(messages.updatedAt, cutoff), eq(accounts.status, 'active')))
        .limit(50);
    },
    /** Settles a send still of unknown outcome: sent as `match`, or failed when Meta has no such message. */
    settleUnknown(tx: Db, messageId: string, match: string | null): Promise<{ id: string }[]> {
      return tx
        .update(messages)
        .set(
          match
            ? { mid: match, status: 'sent', errorMessage: null, updatedAt: new Date() }
            : { status: 'failed', errorMessage: 'Instagram has no record of this message: it was not delivered. You can retry it.', updatedAt: new Date() },
        )
        .where(and(eq(messages.id, messageId), eq(messages.status, 'unknown')))
        .returning({ id: messages.id });
    },
  };
}
