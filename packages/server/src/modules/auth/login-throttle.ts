import { eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { rateLimitCounters } from '../../db/schema/index.ts';
import { tooManyRequests } from '../../shared/errors.ts';

export type LoginThrottleSettings = { maxFailuresPerUsername: number; maxFailuresPerIp: number; windowSeconds: number };

/**
 * Failed sign-ins counted per username and per client address in the database, so every process
 * shares one count. A success clears the username's count; the address count runs out on its own.
 */
export function createLoginThrottle(db: Db, settings: LoginThrottleSettings, now: () => Date = () => new Date()) {
  const userKey = (username: string) => `login:user:${username.trim().toLowerCase()}`;
  const ipKey = (ip: string) => `login:ip:${ip}`;

  return {
    /** Throws 429 when either the username or the address has used up its failures in this window. */
    async assertAllowed(username: string, ip: string): Promise<void> {
      const keys = [userKey(username), ipKey(ip)];
      const rows = await db.select().from(rateLimitCounters).where(inArray(rateLimitCounters.key, keys));
      const t = now().getTime();
      for (const row of rows) {
        const max = row.key.startsWith('login:user:') ? settings.maxFailuresPerUsername : settings.maxFailuresPerIp;
        if (row.resetAt.getTime() > t && row.count >= max) {
          throw tooManyRequests(
            'auth.too_many_attempts',
            'Too many failed sign-in attempts. Wait a few minutes and try again.',
            (row.resetAt.getTime() - t) / 1000,
          );
        }
      }
    },
    async recordFailure(username: string, ip: string): Promise<void> {
      const at = now();
      const resetAt = new Date(at.getTime() + settings.windowSeconds * 1000);
      for (const key of [userKey(username), ipKey(ip)]) {
        await db
          .insert(rateLimitCounters)
          .values({ key, count: 1, resetAt })
          .onConflictDoUpdate({
            target: rateLimitCounters.key,
            set: {
              count: sql`case when ${rateLimitCounters.resetAt} <= ${at} then 1 else ${rateLimitCounters.count} + 1 end`,
              resetAt: sql`case when ${rateLimitCounters.resetAt} <= ${at} then ${resetAt} else ${rateLimitCounters.resetAt} end`,
            },
          });
      }
    },
    async recordSuccess(username: string): Promise<void> {
      await db.delete(rateLimitCounters).where(eq(rateLimitCounters.key, userKey(username)));
    },
    /**
     * Drops counters that ran out a minute ago or more (also the send limiter's turns, see send-rate-limiter.ts: the
     * minute keeps another process's clock, a little behind this one's, from losing turns it still counts on).
     */
    async deleteExpired(): Promise<void> {
      await db.delete(rateLimitCounters).where(sql`${rateLimitCounters.resetAt} < ${new Date(now().getTime() - 60_000)}`);
    },
  };
}
export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
