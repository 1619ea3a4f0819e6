import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { rateLimitCounters } from '../../db/schema/index.ts';

/**
 * One counted limit: at most `max` reservations per window. Past `max`, a fixed rule refuses until the window
 * ends; a progressive rule refuses for `baseSeconds`, then twice that after the next attempt, and so on up to
 * `maxSeconds` (its window slides with every attempt, so the count survives as long as the guessing goes on).
 */
export type CounterRule = {
  key: string;
  max: number;
  windowSeconds: number;
  progressive?: { baseSeconds: number; maxSeconds: number };
};

export type Reservation = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Counted limits shared by every process (`rate_limit_counters`): password attempts (login-throttle.ts), searches
 * and uploads per minute (request-throttle.ts). The send limiter keeps its turns in the same table
 * (send-turns.repository.ts), and `deleteEnded` drops those too.
 */
export function createRateCountersRepository(db: Db) {
  const t = rateLimitCounters;
  return {
    /**
     * Counts one attempt and says whether it may go ahead, in one statement: parallel attempts each get their own
     * count, so no more than the rule allows can pass however many arrive at once.
     */
    async reserve(rule: CounterRule, at: Date): Promise<Reservation> {
      const now = sql`${at.toISOString()}::timestamptz`;
      const seconds = (n: number | ReturnType<typeof sql>) => sql`(${n} * interval '1 second')`;
      const windowEnd = sql`${now} + ${seconds(sql`${rule.windowSeconds}::int`)}`;
      const expired = sql`${t.resetAt} <= ${now}`;
      const nextCount = sql`(case when ${expired} then 1 else ${t.count} + 1 end)`;
      const nextReset = rule.progressive ? windowEnd : sql`(case when ${expired} then ${windowEnd} else ${t.resetAt} end)`;
      const lockUntil = rule.progressive
        ? sql`${now} + ${seconds(
            sql`least(${rule.progressive.maxSeconds}::int, ${rule.progressive.baseSeconds}::int * power(2, ${nextCount} - ${rule.max}::int))`,
          )}`
        : nextReset;
      const firstLock = rule.progressive
        ? new Date(at.getTime() + Math.min(rule.progressive.baseSeconds, rule.progressive.maxSeconds) * 1000)
        : new Date(at.getTime() + rule.windowSeconds * 1000);
      const rows = await db
        .insert(t)
        .values({
          key: rule.key,
          count: 1,
          resetAt: new Date(at.getTime() + rule.windowSeconds * 1000),
          notBefore: rule.max <= 1 ? firstLock : null,
        })
        .onConflictDoUpdate({
          target: t.key,
          set: {
            count: nextCount,
            resetAt: nextReset,
            notBefore: sql`case when ${nextCount} >= ${rule.max}::int then ${lockUntil} else null end`,
          },
          setWhere: sql`${expired} or ${t.notBefore} is null or ${t.notBefore} <= ${now}`,
        })
        .returning({ count: t.count });
      if (rows.length > 0) return { allowed: true };
      const [row] = await db.select({ notBefore: t.notBefore, resetAt: t.resetAt }).from(t).where(eq(t.key, rule.key)).limit(1);
      const until = row?.notBefore ?? row?.resetAt ?? at;
      return { allowed: false, retryAfterSeconds: Math.max(1, (until.getTime() - at.getTime()) / 1000) };
    },
    /** Gives back one reservation of each rule's key (the attempt turned out not to be a failure). */
    async release(rules: CounterRule[]): Promise<void> {
      for (const rule of rules) {
        await db
          .update(t)
          .set({
            count: sql`greatest(${t.count} - 1, 0)`,
            notBefore: sql`case when ${t.count} - 1 < ${rule.max}::int then null else ${t.notBefore} end`,
          })
          .where(eq(t.key, rule.key));
      }
    },
    async clear(key: string): Promise<void> {
      await db.delete(t).where(eq(t.key, key));
    },
    /** Drops counters whose window ended a minute ago or more (the send limiter's turns too, see send-rate-limiter.ts). */
    async deleteEnded(before: Date): Promise<void> {
      await db.delete(t).where(sql`${t.resetAt} < ${before} and (${t.notBefore} is null or ${t.notBefore} < ${before})`);
    },
  };
}
export type RateCountersRepository = ReturnType<typeof createRateCountersRepository>;
