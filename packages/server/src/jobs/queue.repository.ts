import { sql, type SQL } from 'drizzle-orm';
import { fromDrizzle, type Db as BossDatabase } from 'pg-boss';
import type { Db } from '../db/client.ts';

/**
 * The caller's transaction as pg-boss's database: a job enqueued through it is written by that transaction, so it
 * exists exactly when the rows it is about do. pg-boss builds its statements with drizzle's `sql` tag.
 */
export function bossDatabaseOf(tx: Db): BossDatabase {
  return fromDrizzle(asDrizzleTx(tx), sql);
}

/** pg-boss's Drizzle adapter wants `execute` to answer `{ rows }`; both of our engines do, typed as unknown. */
function asDrizzleTx(tx: Db) {
  return {
    async execute(query: unknown) {
      const result: unknown = await tx.execute(query as SQL);
      if (result && typeof result === 'object' && 'rows' in result && Array.isArray(result.rows)) return { rows: result.rows };
      throw new Error('unexpected driver result');
    },
  };
}
