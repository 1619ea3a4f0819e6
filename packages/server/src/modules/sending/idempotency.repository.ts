import { and, eq, lt } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { idempotencyKeys } from '../../db/schema/index.ts';

/** `Idempotency-Key`s with the answer of their first request (idempotency.ts). */
export function createIdempotencyRepository(db: Db) {
  const keyIs = (scope: string, key: string) => and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key));
  return {
    /** Claims the key for a request with this body hash; false when it was claimed before. */
    async claim(scope: string, key: string, requestHash: string, tx: Db = db): Promise<boolean> {
      const [claimed] = await tx
        .insert(idempotencyKeys)
        .values({ scope, key, requestHash })
        .onConflictDoNothing()
        .returning({ key: idempotencyKeys.key });
      return claimed !== undefined;
    },
    async find(scope: string, key: string, tx: Db = db) {
      const [existing] = await tx.select().from(idempotencyKeys).where(keyIs(scope, key));
      return existing;
    },
    async storeResponse(scope: string, key: string, statusCode: number, response: unknown, tx: Db = db): Promise<void> {
      await tx.update(idempotencyKeys).set({ statusCode, response }).where(keyIs(scope, key));
    },
    async release(scope: string, key: string, tx: Db = db): Promise<void> {
      await tx.delete(idempotencyKeys).where(keyIs(scope, key));
    },
    async deleteCreatedBefore(before: Date, tx: Db = db): Promise<void> {
      await tx.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, before));
    },
  };
}
