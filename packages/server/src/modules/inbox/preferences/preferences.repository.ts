import { eq } from 'drizzle-orm';
import type { Db } from '../../../db/client.ts';
import { userPreferences } from '../../../db/schema/index.ts';

export type PreferencesRow = typeof userPreferences.$inferSelect;
export type PreferencesChange = Partial<Pick<PreferencesRow, 'browserNotifications' | 'notificationSound'>>;

/** A person's settings of the web app; no row means the defaults. */
export function createPreferencesRepository(db: Db) {
  return {
    async get(userId: string, tx: Db = db): Promise<PreferencesRow | undefined> {
      const [row] = await tx.select().from(userPreferences).where(eq(userPreferences.userId, userId));
      return row;
    },
    async upsert(userId: string, change: PreferencesChange, tx: Db = db): Promise<PreferencesRow> {
      const [row] = await tx
        .insert(userPreferences)
        .values({ userId, ...change })
        .onConflictDoUpdate({ target: userPreferences.userId, set: { ...change, updatedAt: new Date() } })
        .returning();
      if (!row) throw new Error('upsert returned no row');
      return row;
    },
  };
}
export type PreferencesRepository = ReturnType<typeof createPreferencesRepository>;
