import { and, count, eq, isNull, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import {
  accounts,
  contacts,
  crmDeliveries,
  dataDeletionRequests,
  seenSignedRequests,
  mediaObjects,
  messages,
  realtimeEvents,
  webhookEvents,
} from '../../db/schema/index.ts';

export type DeletionRequestRow = typeof dataDeletionRequests.$inferSelect;

/** Rows Meta's deauthorize and data-deletion callbacks touch. */
export function createMetaCallbacksRepository(db: Db) {
  return {
    /** Records a signed request as acted on; false when it already was (a replay). One statement: two at once, one wins. */
    async firstSightOfSignedRequest(hash: string, at: Date, tx: Db = db): Promise<boolean> {
      const rows = await tx.insert(seenSignedRequests).values({ hash, seenAt: at }).onConflictDoNothing().returning({ hash: seenSignedRequests.hash });
      return rows.length > 0;
    },
    async forgetSignedRequestsBefore(before: Date, tx: Db = db): Promise<void> {
      await tx.delete(seenSignedRequests).where(sql`${seenSignedRequests.seenAt} < ${before}`);
    },
    /** Meta names the user by an app-scoped id; depending on the flow that may be `/me.id` or `/me.user_id`. */
    async findAccountByMetaUserId(userId: string, tx: Db = db) {
      const [row] = await tx
        .select({ id: accounts.id, igUserId: accounts.igUserId })
        .from(accounts)
        // Only accounts that reach Meta through Instagram Login: removing the Instagram app does not touch a Page token.
        .where(
          and(
            or(eq(accounts.igAppScopedId, userId), eq(accounts.igUserId, userId)),
            or(isNull(accounts.loginPath), eq(accounts.loginPath, 'instagram_login')),
          ),
        )
        .limit(1);
      return row;
    },

    /** Accounts a person linked through Facebook Login; Meta names them by their app-scoped Facebook id. */
    async findAccountsByFacebookUserId(facebookUserId: string, tx: Db = db) {
      return tx
        .select({ id: accounts.id, igUserId: accounts.igUserId })
        .from(accounts)
        .where(and(eq(accounts.facebookUserId, facebookUserId), eq(accounts.loginPath, 'facebook_login')));
    },

    /**
     * Erases what Threadline stored of the account's conversations: contacts (and with them conversations,
     * messages, reactions), media rows, CRM deliveries carrying message payloads, live-update events and the raw
     * webhook bodies. Answers how many messages went and which media files to remove from disk.
     */
    async eraseInboxData(accountId: string, igUserId: string, tx: Db) {
      const [counted] = await tx.select({ n: count() }).from(messages).where(eq(messages.accountId, accountId));
      const media = await tx
        .delete(mediaObjects)
        .where(eq(mediaObjects.accountId, accountId))
        .returning({ storageKey: mediaObjects.storageKey });
      await tx.delete(contacts).where(eq(contacts.accountId, accountId));
      await tx.delete(messages).where(eq(messages.accountId, accountId));
      await tx.delete(crmDeliveries).where(eq(crmDeliveries.accountId, accountId));
      await tx.delete(realtimeEvents).where(eq(realtimeEvents.accountId, accountId));
      await tx.delete(webhookEvents).where(sql`${webhookEvents.accountIgIds} @> ${JSON.stringify([igUserId])}::jsonb`);
      return {
        messagesDeleted: counted?.n ?? 0,
        storageKeys: media.map((m) => m.storageKey).filter((k): k is string => k !== null),
      };
    },

    async insertDeletionRequest(values: typeof dataDeletionRequests.$inferInsert, tx: Db = db): Promise<void> {
      await tx.insert(dataDeletionRequests).values(values);
    },

    async findDeletionRequest(code: string): Promise<DeletionRequestRow | undefined> {
      const [row] = await db.select().from(dataDeletionRequests).where(eq(dataDeletionRequests.confirmationCode, code)).limit(1);
      return row;
    },
  };
}
export type MetaCallbacksRepository = ReturnType<typeof createMetaCallbacksRepository>;
