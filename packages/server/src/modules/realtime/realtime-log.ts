import { and, asc, eq, gt, inArray, lt, sql } from 'drizzle-orm';
import { preparedRows, type Db } from '../../db/client.ts';
import { realtimeEvents } from '../../db/schema/index.ts';
import type { InboxEvent, InboxEventSink } from '../../events/inbox-events.ts';

export const REALTIME_CHANNEL = 'threadline_realtime';
export type RealtimeRow = typeof realtimeEvents.$inferSelect;
/** What presenting an event needs of its row (a notification carries exactly this). */
export type RealtimeEntry = Pick<RealtimeRow, 'id' | 'accountId' | 'type' | 'payload'>;
/** Rows per notification: each is at most about 200 bytes, so a payload stays far below PostgreSQL's 8000. */
const NOTIFY_ROWS = 25;

/** The rows ($1 accounts, $2 types, $3 payloads) and their NOTIFYs (see `flush`), in one statement. */
const INSERT_SQL = `
with stored as (
  insert into realtime_events (account_id, type, payload)
  select * from unnest($1::uuid[], $2::text[], $3::jsonb[])
  returning id, account_id, type, payload),
numbered as (select *, (row_number() over (partition by account_id order by id) - 1) / ${NOTIFY_ROWS} as chunk from stored)
select pg_notify('${REALTIME_CHANNEL}', json_build_object('a', account_id, 'e', json_agg(json_build_array(id, type, payload) order by id))::text)
from numbered group by account_id, chunk`;

/**
 * A notification on `REALTIME_CHANNEL`: the account and its rows, or, from a process of an earlier version, the
 * account and only the ids (`<account>:<id>,<id>`; the rows are then read). Anything else is null.
 */
export function parseRealtimeNotification(text: string): { accountId: string; ids: number[]; rows: RealtimeEntry[] | null } | null {
  const isId = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n > 0;
  if (text.startsWith('{')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return null;
    }
    if (!value || typeof value !== 'object' || !('a' in value) || !('e' in value)) return null;
    const { a: accountId, e: list } = value;
    if (typeof accountId !== 'string' || !Array.isArray(list)) return null;
    const rows: RealtimeEntry[] = [];
    for (const item of list) {
      if (!Array.isArray(item)) return null;
      const [id, type, payload] = item as unknown[];
      if (!isId(id) || typeof type !== 'string' || !payload || typeof payload !== 'object' || Array.isArray(payload)) return null;
      rows.push({ id, accountId, type, payload: payload as Record<string, unknown> });
    }
    return rows.length > 0 ? { accountId, ids: rows.map((r) => r.id), rows } : null;
  }
  const [accountId, rawIds] = text.split(':');
  const ids = (rawIds ?? '').split(',').map(Number).filter(isId);
  return accountId && ids.length > 0 ? { accountId, ids, rows: null } : null;
}

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
      if ('live' in event && event.live) payload.live = event.live;
      const buffer = buffers.get(tx) ?? [];
      buffer.push({ accountId: event.accountId, type: event.type, payload });
      buffers.set(tx, buffer);
    },
    async flush(tx: Db) {
      const buffer = buffers.get(tx);
      if (!buffer || buffer.length === 0) return;
      buffers.delete(tx);
      // One statement: the rows, and one NOTIFY per account and 25 rows, delivered at commit. A notification carries
      // its rows (`{"a": account, "e": [[id, type, payload], …]}`, at most about 5 kB of PostgreSQL's 8000 bytes), so a
      // listening process presents them without reading them back.
      await preparedRows(tx, 'realtime_log_insert', INSERT_SQL, [
        buffer.map((r) => r.accountId),
        buffer.map((r) => r.type),
        buffer.map((r) => JSON.stringify(r.payload)),
      ]);
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
