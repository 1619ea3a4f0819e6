import { and, eq, lt, ne, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { accounts, conversations, mediaObjects, messages } from '../../db/schema/index.ts';

export type MessageRow = typeof messages.$inferSelect;
export type MessageChange = Partial<typeof messages.$inferInsert>;

/** Outbound messages on their way to Meta: queued by messages.service.ts, sent by send-job.ts, swept by messages.jobs.ts. */
export function createOutboundMessagesRepository(db: Db) {
  return {
    async insert(values: typeof messages.$inferInsert, tx: Db = db): Promise<{ id: string } | undefined> {
      const [row] = await tx.insert(messages).values(values).returning({ id: messages.id });
      return row;
    },
    async update(messageId: string, values: MessageChange, tx: Db = db): Promise<void> {
      await tx.update(messages).set({ ...values, updatedAt: new Date() }).where(eq(messages.id, messageId));
    },
    /** A failed message of the account back to `queued`; undefined when it is not (or no longer) failed. */
    async requeueFailed(accountId: string, messageId: string, tx: Db = db) {
      const [row] = await tx
        .update(messages)
        .set({ status: 'queued', errorCode: null, errorSubcode: null, errorMessage: null, updatedAt: new Date() })
        .where(and(eq(messages.id, messageId), eq(messages.accountId, accountId), eq(messages.status, 'failed')))
        .returning({ id: messages.id, conversationId: messages.conversationId });
      return row;
    },
    /** The Instagram id of a message of the conversation (the one a reply quotes), if it has one. */
    async midInConversation(messageId: string, conversationId: string, tx: Db = db): Promise<string | null | undefined> {
      const [quoted] = await tx
        .select({ mid: messages.mid })
        .from(messages)
        .where(and(eq(messages.id, messageId), eq(messages.conversationId, conversationId)));
      return quoted?.mid;
    },
    async findInConversation(messageId: string, conversationId: string, tx: Db = db): Promise<MessageRow | undefined> {
      const [m] = await tx
        .select()
        .from(messages)
        .where(and(eq(messages.id, messageId), eq(messages.conversationId, conversationId)));
      return m;
    },
    async findOutbound(messageId: string, tx: Db = db): Promise<MessageRow | undefined> {
      const [row] = await tx.select().from(messages).where(and(eq(messages.id, messageId), eq(messages.direction, 'outbound')));
      return row;
    },
    /** `queued → sending` by this process, the attempt counted; undefined when another worker won or it is not queued. */
    async claimForSending(messageId: string, processId: string, tx: Db = db): Promise<MessageRow | undefined> {
      const [m] = await tx
        .update(messages)
        .set({ status: 'sending', sendingBy: processId, sendAttempts: sql`${messages.sendAttempts} + 1`, updatedAt: new Date() })
        .where(and(eq(messages.id, messageId), eq(messages.status, 'queued')))
        .returning();
      return m;
    },
    /** Another row of the account with this Instagram id: the echo of the message, if it arrived first. */
    async findEcho(accountId: string, mid: string, exceptId: string, tx: Db = db) {
      const [echoRow] = await tx
        .select({ id: messages.id, status: messages.status })
        .from(messages)
        .where(and(eq(messages.accountId, accountId), eq(messages.mid, mid), ne(messages.id, exceptId)));
      return echoRow;
    },
    /** The echo's row gives way to the message: conversations it ends point at the message, and the echo goes. */
    async replaceEcho(echoId: string, messageId: string, tx: Db = db): Promise<void> {
      await tx.update(conversations).set({ lastMessageId: messageId }).where(eq(conversations.lastMessageId, echoId));
      await tx.delete(messages).where(eq(messages.id, echoId));
    },
    async markSent(messageId: string, mid: string | null, tx: Db = db): Promise<void> {
      await tx
        .update(messages)
        .set({ mid, status: 'sent', errorCode: null, errorSubcode: null, errorMessage: null, updatedAt: new Date() })
        .where(eq(messages.id, messageId));
    },
    /** The conversation's first outbound message still queued. */
    async nextQueued(conversationId: string, tx: Db = db): Promise<{ id: string } | undefined> {
      const [following] = await tx
        .select({ id: messages.id })
        .from(messages)
        .where(and(eq(messages.conversationId, conversationId), eq(messages.direction, 'outbound'), eq(messages.status, 'queued')))
        .orderBy(messages.createdAt, messages.id)
        .limit(1);
      return following;
    },
    /** Whether an outbound message of the conversation written before `m` is still queued or being sent. */
    async earlierUnsettled(m: Pick<MessageRow, 'id' | 'conversationId' | 'createdAt'>, tx: Db = db): Promise<boolean> {
      const [earlier] = await tx
        .select({ id: messages.id })
        .from(messages)
        .where(
          and(
            eq(messages.conversationId, m.conversationId),
            eq(messages.direction, 'outbound'),
            sql`${messages.status} in ('queued', 'sending')`,
            sql`(${messages.createdAt}, ${messages.id}) < (${m.createdAt}, ${m.id})`,
          ),
        )
        .limit(1);
      return earlier !== undefined;
    },
    /** Queued messages of active, unpaused accounts untouched since `stale` (their job may be lost). */
    async waitingToSend(now: Date, stale: Date, limit: number, tx: Db = db): Promise<{ id: string }[]> {
      return tx
        .select({ id: messages.id })
        .from(messages)
        .innerJoin(accounts, eq(accounts.id, messages.accountId))
        .where(
          and(
            eq(messages.status, 'queued'),
            lt(messages.updatedAt, stale),
            eq(accounts.status, 'active'),
            sql`(${accounts.sendPausedUntil} is null or ${accounts.sendPausedUntil} < ${now})`,
          ),
        )
        .limit(limit);
    },
    /** Sends `sending` since before `before` (their worker died mid-call) become `unknown`. */
    async markStuckUnknown(before: Date, errorMessage: string, now: Date, tx: Db = db): Promise<void> {
      await tx
        .update(messages)
        .set({ status: 'unknown', errorMessage, updatedAt: now })
        .where(and(eq(messages.status, 'sending'), lt(messages.updatedAt, before)));
    },
    /** A stored upload of the account (an attachment to send). */
    async findUpload(uploadId: string, accountId: string, tx: Db = db) {
      const [upload] = await tx
        .select()
        .from(mediaObjects)
        .where(and(eq(mediaObjects.id, uploadId), eq(mediaObjects.accountId, accountId), eq(mediaObjects.source, 'upload')));
      return upload;
    },
  };
}
export type OutboundMessagesRepository = ReturnType<typeof createOutboundMessagesRepository>;
