import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../../db/client.ts';
import { mediaObjects, messages, type StoredAttachment } from '../../../db/schema/index.ts';

export type MediaRow = typeof mediaObjects.$inferSelect;
/** An attachment as a message row stores it (what a mirror or an upload is made from). */
export type { StoredAttachment };

/** Mirrored attachments and uploads: their rows (the files themselves are media.service.ts's). */
export function createMediaRepository(db: Db) {
  return {
    async setState(id: string, values: Partial<typeof mediaObjects.$inferInsert>, tx: Db = db): Promise<void> {
      await tx.update(mediaObjects).set({ ...values, updatedAt: new Date() }).where(eq(mediaObjects.id, id));
    },
    /** A pending mirror of one attachment; undefined when that attachment already has one. */
    async insertPendingMirror(message: { id: string; accountId: string }, attachmentIndex: number, originalUrl: string, tx: Db = db) {
      const [row] = await tx
        .insert(mediaObjects)
        .values({ accountId: message.accountId, messageId: message.id, attachmentIndex, source: 'mirror', originalUrl, status: 'pending' })
        .onConflictDoNothing()
        .returning({ id: mediaObjects.id });
      return row;
    },
    async insertUpload(accountId: string, contentType: string, sizeBytes: number, tx: Db = db): Promise<MediaRow | undefined> {
      const [row] = await tx
        .insert(mediaObjects)
        .values({ accountId, source: 'upload', status: 'pending', contentType, sizeBytes })
        .returning();
      return row;
    },
    async find(mediaId: string, tx: Db = db): Promise<MediaRow | undefined> {
      const [row] = await tx.select().from(mediaObjects).where(eq(mediaObjects.id, mediaId));
      return row;
    },
    async forMessage(messageId: string, tx: Db = db): Promise<MediaRow[]> {
      return tx.select().from(mediaObjects).where(eq(mediaObjects.messageId, messageId));
    },
    async forMessages(messageIds: string[], tx: Db = db): Promise<MediaRow[]> {
      return tx.select().from(mediaObjects).where(and(inArray(mediaObjects.messageId, messageIds)));
    },
    /** The rows stay, as `deleted`, without their file or Meta's URL. */
    async markDeleted(ids: string[], tx: Db = db): Promise<void> {
      await tx
        .update(mediaObjects)
        .set({ status: 'deleted', storageKey: null, originalUrl: null, updatedAt: new Date() })
        .where(inArray(mediaObjects.id, ids));
    },
    /** The conversation of a message, if the message is still there. */
    async conversationOfMessage(messageId: string, tx: Db = db): Promise<string | undefined> {
      const [message] = await tx.select({ conversationId: messages.conversationId }).from(messages).where(eq(messages.id, messageId));
      return message?.conversationId;
    },
  };
}
