import { and, asc, count, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../../db/client.ts';
import { conversationLabels, conversations, labels } from '../../../db/schema/index.ts';

export type LabelRow = typeof labels.$inferSelect;

/** Labels of accounts and the labels set on conversations. Every function takes an optional transaction. */
export function createLabelsRepository(db: Db) {
  return {
    async list(accountId: string, tx: Db = db): Promise<LabelRow[]> {
      return tx.select().from(labels).where(eq(labels.accountId, accountId)).orderBy(asc(sql`lower(${labels.name})`));
    },

    async count(accountId: string, tx: Db = db): Promise<number> {
      const [row] = await tx.select({ n: count() }).from(labels).where(eq(labels.accountId, accountId));
      return row?.n ?? 0;
    },

    async byIds(accountId: string, ids: string[], tx: Db = db): Promise<LabelRow[]> {
      if (ids.length === 0) return [];
      return tx.select().from(labels).where(and(eq(labels.accountId, accountId), inArray(labels.id, ids)));
    },

    async insert(accountId: string, input: { name: string; color: string }, tx: Db = db): Promise<LabelRow> {
      const [row] = await tx.insert(labels).values({ accountId, name: input.name, color: input.color }).returning();
      if (!row) throw new Error('insert returned no row');
      return row;
    },

    async update(accountId: string, id: string, change: { name?: string; color?: string }, tx: Db = db): Promise<LabelRow | undefined> {
      const [row] = await tx
        .update(labels)
        .set({ ...change, updatedAt: new Date() })
        .where(and(eq(labels.accountId, accountId), eq(labels.id, id)))
        .returning();
      return row;
    },

    async remove(accountId: string, id: string, tx: Db = db): Promise<LabelRow | undefined> {
      const [row] = await tx.delete(labels).where(and(eq(labels.accountId, accountId), eq(labels.id, id))).returning();
      return row;
    },

    /**
     * The labels a conversation carries, read after locking the conversation row until the caller commits: two
     * changes of one conversation's labels apply one after the other, each seeing what the other left.
     */
    async ofConversationLocked(conversationId: string, tx: Db): Promise<LabelRow[]> {
      await tx.select({ id: conversations.id }).from(conversations).where(eq(conversations.id, conversationId)).for('update');
      const rows = await tx
        .select({ label: labels })
        .from(conversationLabels)
        .innerJoin(labels, eq(labels.id, conversationLabels.labelId))
        .where(eq(conversationLabels.conversationId, conversationId));
      return rows.map((r) => r.label);
    },

    async setOnConversation(accountId: string, conversationId: string, add: string[], remove: string[], tx: Db): Promise<void> {
      if (remove.length > 0) {
        await tx
          .delete(conversationLabels)
          .where(and(eq(conversationLabels.conversationId, conversationId), inArray(conversationLabels.labelId, remove)));
      }
      if (add.length > 0) {
        await tx
          .insert(conversationLabels)
          .values(add.map((labelId) => ({ accountId, conversationId, labelId })))
          .onConflictDoNothing();
      }
    },
  };
}
export type LabelsRepository = ReturnType<typeof createLabelsRepository>;
