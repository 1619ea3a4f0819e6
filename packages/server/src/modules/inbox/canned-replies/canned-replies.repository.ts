import { and, asc, count, eq } from 'drizzle-orm';
import type { Db } from '../../../db/client.ts';
import { cannedReplies } from '../../../db/schema/index.ts';

export type CannedReplyRow = typeof cannedReplies.$inferSelect;

/** Saved replies of accounts. Every function takes an optional transaction. */
export function createCannedRepliesRepository(db: Db) {
  return {
    async list(accountId: string, tx: Db = db): Promise<CannedReplyRow[]> {
      return tx.select().from(cannedReplies).where(eq(cannedReplies.accountId, accountId)).orderBy(asc(cannedReplies.shortcut));
    },
    async count(accountId: string, tx: Db = db): Promise<number> {
      const [row] = await tx.select({ n: count() }).from(cannedReplies).where(eq(cannedReplies.accountId, accountId));
      return row?.n ?? 0;
    },
    async get(accountId: string, id: string, tx: Db = db): Promise<CannedReplyRow | undefined> {
      const [row] = await tx.select().from(cannedReplies).where(and(eq(cannedReplies.accountId, accountId), eq(cannedReplies.id, id)));
      return row;
    },
    async insert(accountId: string, input: { shortcut: string; text: string }, tx: Db = db): Promise<CannedReplyRow> {
      const [row] = await tx.insert(cannedReplies).values({ accountId, ...input }).returning();
      if (!row) throw new Error('insert returned no row');
      return row;
    },
    async update(accountId: string, id: string, change: { shortcut?: string; text?: string }, tx: Db = db): Promise<CannedReplyRow | undefined> {
      const [row] = await tx
        .update(cannedReplies)
        .set({ ...change, updatedAt: new Date() })
        .where(and(eq(cannedReplies.accountId, accountId), eq(cannedReplies.id, id)))
        .returning();
      return row;
    },
    async remove(accountId: string, id: string, tx: Db = db): Promise<CannedReplyRow | undefined> {
      const [row] = await tx.delete(cannedReplies).where(and(eq(cannedReplies.accountId, accountId), eq(cannedReplies.id, id))).returning();
      return row;
    },
  };
}
export type CannedRepliesRepository = ReturnType<typeof createCannedRepliesRepository>;
