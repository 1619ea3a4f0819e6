import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { queryRows } from '../../db/client.ts';

export type SendKind = 'text' | 'media';

/**
 * Meta's per-account Send API limits (100 calls/s for text, links, reactions and stickers; 10/s for audio and
 * video), counted in one-second windows in the database so every process shares them. Over the limit, the caller
 * is told how long to wait: a burst is queued, never failed.
 */
export function createSendRateLimiter(db: Db, limits: { textPerSecond: number; mediaPerSecond: number }) {
  return {
    async acquire(accountId: string, kind: SendKind, now = new Date()): Promise<{ ok: true } | { ok: false; retryInMs: number }> {
      const second = Math.floor(now.getTime() / 1000);
      const limit = kind === 'media' ? limits.mediaPerSecond : limits.textPerSecond;
      const resetAt = new Date((second + 2) * 1000);
      const [row] = await queryRows<{ count: number }>(
        db,
        sql`insert into rate_limit_counters (key, count, reset_at) values (${`send:${kind}:${accountId}:${second}`}, 1, ${resetAt})
            on conflict (key) do update set count = rate_limit_counters.count + 1
            returning count`,
      );
      if ((row?.count ?? 0) <= limit) return { ok: true };
      return { ok: false, retryInMs: (second + 1) * 1000 - now.getTime() + Math.floor(Math.random() * 200) };
    },
  };
}
export type SendRateLimiter = ReturnType<typeof createSendRateLimiter>;
