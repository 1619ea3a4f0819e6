import { createHash } from 'node:crypto';
import type { Db } from '../../db/client.ts';
import { messagesErrors } from './messages.errors.ts';
import { createIdempotencyRepository } from './idempotency.repository.ts';

export type StoredResponse = { statusCode: number; body: unknown };

/**
 * `Idempotency-Key`: the first request with a key does the work and its answer is kept (24 h); a retry with the
 * same key and body gets that answer again instead of sending twice; the same key with another body is a 409.
 */
export function createIdempotency(db: Db) {
  const repo = createIdempotencyRepository(db);
  const hashOf = (body: unknown) => createHash('sha256').update(JSON.stringify(body)).digest('hex');
  return {
    validateKey(key: string | undefined): string | null {
      if (key === undefined) return null;
      if (!/^[\x21-\x7e]{1,255}$/.test(key)) throw messagesErrors.idempotencyInvalidKey();
      return key;
    },
    /** Runs `work` once per (scope, key); a replay answers the stored result. */
    async run(scope: string, key: string | null, body: unknown, work: () => Promise<StoredResponse>): Promise<StoredResponse> {
      if (!key) return work();
      const requestHash = hashOf(body);
      if (!(await repo.claim(scope, key, requestHash))) {
        const existing = await repo.find(scope, key);
        if (!existing) throw messagesErrors.idempotencyInProgress();
        if (existing.requestHash !== requestHash) {
          throw messagesErrors.idempotencyMismatch();
        }
        if (existing.statusCode === null) throw messagesErrors.idempotencyInProgress();
        return { statusCode: existing.statusCode, body: existing.response };
      }
      try {
        const result = await work();
        await repo.storeResponse(scope, key, result.statusCode, result.body);
        return result;
      } catch (error) {
        // A refused request did not happen: the key may be used again.
        await repo.release(scope, key);
        throw error;
      }
    },
    async prune(before: Date) {
      await repo.deleteCreatedBefore(before);
    },
  };
}
export type Idempotency = ReturnType<typeof createIdempotency>;
