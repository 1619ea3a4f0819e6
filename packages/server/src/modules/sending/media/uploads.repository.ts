import { and, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Db } from '../../../db/client.ts';
import { mediaObjects, messages } from '../../../db/schema/index.ts';

/** Files uploaded from the inbox to be sent: what an account holds, and those no message ever used. */
export function createUploadsRepository(db: Db) {
  return {
    /** Bytes of the account's stored uploads (the per-account quota counts these). */
    async storedBytes(accountId: string, tx: Db = db): Promise<number> {
      const [row] = await tx
        .select({ bytes: sql<string>`coalesce(sum(${mediaObjects.sizeBytes}), 0)` })
        .from(mediaObjects)
        .where(and(eq(mediaObjects.accountId, accountId), eq(mediaObjects.source, 'upload'), eq(mediaObjects.status, 'stored')));
      return Number(row?.bytes ?? 0);
    },
    /** Stored uploads made before `before` that no message names as its attachment: never sent. */
    async unsentBefore(before: Date, limit: number, tx: Db = db) {
      return tx
        .select({ id: mediaObjects.id, accountId: mediaObjects.accountId })
        .from(mediaObjects)
        .where(
          and(
            eq(mediaObjects.source, 'upload'),
            eq(mediaObjects.status, 'stored'),
            lt(mediaObjects.createdAt, before),
            sql`not exists (select 1 from ${messages} where ${messages.accountId} = ${mediaObjects.accountId}
                and ${messages.attachments} @> jsonb_build_array(jsonb_build_object('mediaId', ${mediaObjects.id}::text)))`,
          ),
        )
        .limit(limit);
    },
    async markDeleted(ids: string[], tx: Db = db): Promise<void> {
      if (ids.length === 0) return;
      await tx.update(mediaObjects).set({ status: 'deleted', storageKey: null, updatedAt: new Date() }).where(inArray(mediaObjects.id, ids));
    },
  };
}
export type UploadsRepository = ReturnType<typeof createUploadsRepository>;
