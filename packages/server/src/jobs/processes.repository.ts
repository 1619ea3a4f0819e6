import { eq, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { processes } from '../db/schema/index.ts';

export type ProcessRow = typeof processes.$inferSelect;

/** The registry of running processes (see `processes` in the schema). */
export function createProcessesRepository(db: Db) {
  return {
    async register(row: { id: string; role: string; host: string; pid: number }): Promise<void> {
      await db
        .insert(processes)
        .values(row)
        .onConflictDoUpdate({ target: processes.id, set: { heartbeatAt: sql`now()` } });
    },

    /** Answers false when the row is gone (another process forgot it after a long silence): register again. */
    async beat(id: string): Promise<boolean> {
      const rows = await db.update(processes).set({ heartbeatAt: sql`now()` }).where(eq(processes.id, id)).returning({ id: processes.id });
      return rows.length > 0;
    },

    async remove(id: string): Promise<void> {
      await db.delete(processes).where(eq(processes.id, id));
    },

    /** Rows of processes silent for `ms` (long dead): nothing refers to them usefully any more. */
    async forgetSilentFor(ms: number): Promise<number> {
      const rows = await db
        .delete(processes)
        .where(lt(processes.heartbeatAt, sql`now() - make_interval(secs => ${ms / 1000})`))
        .returning({ id: processes.id });
      return rows.length;
    },

    /** The processes that beat within `ms` (for operators: metrics, `threadline doctor`). */
    async live(ms: number): Promise<ProcessRow[]> {
      return db
        .select()
        .from(processes)
        .where(sql`${processes.heartbeatAt} >= now() - make_interval(secs => ${ms / 1000})`)
        .orderBy(processes.startedAt);
    },
  };
}
export type ProcessesRepository = ReturnType<typeof createProcessesRepository>;
