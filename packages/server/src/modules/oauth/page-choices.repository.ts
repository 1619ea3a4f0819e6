import { and, eq, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { oauthPageChoices } from '../../db/schema/index.ts';
import { constantTimeEqual } from '../../shared/crypto/random.ts';

export type PageChoiceRow = typeof oauthPageChoices.$inferSelect;

export type PageChoiceCheck =
  | { ok: true; row: PageChoiceRow }
  | { ok: false; why: 'unknown' | 'used' | 'expired' | 'other_browser' };

/**
 * Facebook Logins waiting for the person to choose their Pages: created by the callback, read by the picker, consumed
 * once by the choice, deleted by the hourly clean-up with the OAuth states.
 */
export function createPageChoicesRepository(db: Db) {
  function check(row: PageChoiceRow | undefined, bindingHash: string | null, now: Date): PageChoiceCheck {
    if (!row) return { ok: false, why: 'unknown' };
    if (row.consumedAt) return { ok: false, why: 'used' };
    if (row.expiresAt.getTime() <= now.getTime()) return { ok: false, why: 'expired' };
    if (!bindingHash || !constantTimeEqual(bindingHash, row.browserBindingHash)) return { ok: false, why: 'other_browser' };
    return { ok: true, row };
  }

  return {
    async create(values: typeof oauthPageChoices.$inferInsert): Promise<void> {
      await db.insert(oauthPageChoices).values(values);
    },

    /** The waiting choice, if this browser may see it (unused, unexpired, same binding). */
    async find(id: string, bindingHash: string | null, now: Date): Promise<PageChoiceCheck> {
      const [row] = await db.select().from(oauthPageChoices).where(eq(oauthPageChoices.id, id)).limit(1);
      return check(row, bindingHash, now);
    },

    /**
     * Marks the choice used, once: the row is locked while it is checked, so a replayed POST cannot link twice. `tx`
     * is the caller's transaction, which holds the lock until it commits.
     */
    async consume(id: string, bindingHash: string | null, now: Date, tx: Db): Promise<PageChoiceCheck> {
      const [row] = await tx.select().from(oauthPageChoices).where(eq(oauthPageChoices.id, id)).for('update');
      const verdict = check(row, bindingHash, now);
      if (verdict.ok) await tx.update(oauthPageChoices).set({ consumedAt: now }).where(eq(oauthPageChoices.id, id));
      return verdict;
    },

    /** Removes choices that expired (or were used) before `before`. */
    async deleteExpired(before: Date): Promise<number> {
      const rows = await db
        .delete(oauthPageChoices)
        .where(or(lt(oauthPageChoices.expiresAt, before), and(sql`${oauthPageChoices.consumedAt} is not null`, lt(oauthPageChoices.consumedAt, before))))
        .returning({ id: oauthPageChoices.id });
      return rows.length;
    },
  };
}
export type PageChoicesRepository = ReturnType<typeof createPageChoicesRepository>;
