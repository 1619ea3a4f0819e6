import { and, asc, eq, gt, inArray, lt, sql } from 'drizzle-orm';
import { preparedRows, type Db } from '../../db/client.ts';
import { realtimeEvents } from '../../db/schema/index.ts';

export const REALTIME_CHANNEL = 'threadline_realtime';
export type RealtimeRow = typeof realtimeEvents.$inferSelect;
/** Rows per notification: each is at most about 200 bytes, so a payload stays far below PostgreSQL's 8000. */
const NOTIFY_ROWS = 25;

/** The rows ($1 accounts, $2 types, $3 payloads) and their NOTIFYs (see `insert`), in one statement. */
export const REALTIME_INSERT_SQL = `
with stored as (
  insert into realtime_events (account_id, type, payload)
  select * from unnest($1::uuid[], $2::text[], $3::jsonb[])
  returning id, account_id, type, payload),
numbered as (select *, (row_number() over (partition by account_id order by id) - 1) / ${NOTIFY_ROWS} as chunk from stored)
select pg_notify('${REALTIME_CHANNEL}', json_build_object('a', account_id, 'e', json_agg(json_build_array(id, type, payload) order by id))::text)
from numbered group by account_id, chunk`;

/** The live-update log's rows (see realtime-log.ts). */
export function createRealtimeLogRepository(db: Db) {
  return {
    /**
     * One statement: the rows, and one NOTIFY per account and 25 rows, delivered at commit. A notification carries
     * its rows (`{"a": account, "e": [[id, type, payload], …]}`, at most about 5 kB of PostgreSQL's 8000 bytes), so a
     * listening process presents them without reading them back.
     */
    async insert(tx: Db, rows: { accountId: string; type: string; payload: Record<string, unknown> }[]): Promise<void> {
      await preparedRows(tx, 'realtime_log_insert', REALTIME_INSERT_SQL, [
        rows.map((r) => r.accountId),
        rows.map((r) => r.type),
        rows.map((r) => JSON.stringify(r.payload)),
      ]);
    },
    async since(accountId: string, afterId: number, limit = 500): Promise<RealtimeRow[]> {
      return db
        .select()
        .from(realtimeEvents)
        .where(and(eq(realtimeEvents.accountId, accountId), gt(realtimeEvents.id, afterId)))
        .orderBy(asc(realtimeEvents.id))
        .limit(limit);
    },
    async byIds(ids: number[]): Promise<RealtimeRow[]> {
      if (ids.length === 0) return [];
      return db.select().from(realtimeEvents).where(inArray(realtimeEvents.id, ids)).orderBy(asc(realtimeEvents.id));
    },
    async latestId(): Promise<number> {
      const [row] = await db.select({ id: sql<number>`coalesce(max(${realtimeEvents.id}), 0)` }).from(realtimeEvents);
      return Number(row?.id ?? 0);
    },
    async prune(before: Date): Promise<void> {
      await db.delete(realtimeEvents).where(lt(realtimeEvents.createdAt, before));
    },
  };
}
