import { and, asc, eq, gt, inArray, lt, sql } from 'drizzle-orm';
import { sqlArray, type Db } from '../../db/client.ts';
import { realtimeEvents } from '../../db/schema/index.ts';
import type { InboxEvent, InboxEventSink } from '../inbox/inbox-events.ts';

export const REALTIME_CHANNEL = 'threadline_realtime';
export type RealtimeRow = typeof realtimeEvents.$inferSelect;

/**
 * The live-update log: every inbox change is appended inside its own transaction and announced with NOTIFY
 * (delivered at commit, to every Threadline process). Rows are kept briefly so a client can resume from
 * `Last-Event-ID` after a reconnect.
 */
export function createRealtimeLog(db: Db) {
  // Events of one transaction are buffered and written at its end: one insert and one NOTIFY per account.
  const buffers = new WeakMap<Db, (typeof realtimeEvents.$inferInsert)[]>();
  const sink: InboxEventSink = {
    async record(tx: Db, event: InboxEvent) {
      const payload: Record<string, unknown> = {
        conversation_id: 'conversationId' in event ? event.conversationId : null,
        message_id: 'messageId' in event ? event.messageId : null,
        occurred_at: event.occurredAt.toISOString(),
      };
      const buffer = buffers.get(tx) ?? [];
      buffer.push({ accountId: event.accountId, type: event.type, payload });
      buffers.set(tx, buffer);
    },
    async flush(tx: Db) {
      const buffer = buffers.get(tx);
      if (!buffer || buffer.length === 0) return;
      buffers.delete(tx);
      // One statement: the rows, and one NOTIFY per account and 500 ids (payloads stay well under PostgreSQL's
      // 8000-byte limit), delivered at commit.
      await tx.execute(sql`
        with stored as (
          insert into realtime_events (account_id, type, payload)
          select * from unnest(${sqlArray(buffer.map((r) => r.accountId), 'uuid[]')}, ${sqlArray(buffer.map((r) => r.type), 'text[]')},
            ${sqlArray(buffer.map((r) => JSON.stringify(r.payload)), 'jsonb[]')})
          returning id, account_id),
        numbered as (select id, account_id, (row_number() over (partition by account_id order by id) - 1) / 500 as chunk from stored)
        select pg_notify(${REALTIME_CHANNEL}, account_id::text || ':' || string_agg(id::text, ',' order by id))
        from numbered group by account_id, chunk`);
    },
  };
  return {
    sink,
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
export type RealtimeLog = ReturnType<typeof createRealtimeLog>;
