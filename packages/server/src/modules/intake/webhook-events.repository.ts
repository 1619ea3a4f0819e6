import { and, desc, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { fixedRows, preparedRows, queryRows } from '../../db/client.ts';
import { webhookEvents, WEBHOOK_EVENT_STATUSES, type WebhookItemOutcomes } from '../../db/schema/index.ts';
import { createIdBlocks } from './id-blocks.ts';

export type WebhookEventStatus = (typeof WEBHOOK_EVENT_STATUSES)[number];
export type WebhookEventRow = typeof webhookEvents.$inferSelect;
export type ClaimedEvent = { id: number; body: Buffer; attempts: number };

/**
 * The raw-event table is also the processing queue: `received` rows are due work; a worker claims a batch with
 * FOR UPDATE SKIP LOCKED inside its processing transaction, so workers in several processes never take the same
 * row and a crashed worker's claim ends with its transaction.
 */
/** Announces stored raw events to worker processes (used when this process runs no workers). */
export const WEBHOOK_CHANNEL = 'threadline_webhooks';

const insertRawTexts = new Map<string, string>();
/** The insert of `n` bodies (a group commit holds at most 64), with its NOTIFY when `announce`: one text per shape. */
function insertRawSql(n: number, announce: boolean): string {
  const key = `${n}:${announce}`;
  let text = insertRawTexts.get(key);
  if (text === undefined) {
    const values = Array.from({ length: n }, (_, i) => `($${2 * i + 1}::bytea, $${2 * i + 2}::int)`).join(', ');
    const insert = `insert into webhook_events (body, signature_secret_index) values ${values} returning id`;
    // the payload names the stored ids (64 at most: well under NOTIFY's 8,000 bytes), so workers claim them by id
    text = announce
      ? `with stored as (${insert}), announced as (select pg_notify('${WEBHOOK_CHANNEL}', string_agg(id::text, ',')) from stored) select id from stored, announced`
      : insert;
    insertRawTexts.set(key, text);
  }
  return text;
}

/**
 * Takes due events for this transaction: row locks only, no new row version. The attempt is counted by the statement
 * that ends it (`finish`, `finishMany`, `retryLater`) in the same transaction, so a batch writes each row once; a
 * rollback (a crash, a lost connection) counts nothing, as before. `attempts` is answered as this attempt's number.
 */
const CLAIM_SQL = (onlyOne: boolean) => `
select id, body, attempts + 1 as attempts from webhook_events
where status = 'received' and next_attempt_at <= now() and (locked_until is null or locked_until < now())
  ${onlyOne ? 'and id = $2' : ''}
order by next_attempt_at, id
limit $1
for update skip locked`;
/**
 * The ids a WEBHOOK_CHANNEL notification names (comma-separated; an empty or unreadable payload names none: the
 * listener then wakes its processor to scan).
 */
export function announcedIds(payload: string): number[] {
  const ids = payload.split(',').map((p) => Number(p));
  return payload !== '' && ids.every((id) => Number.isSafeInteger(id) && id > 0) ? ids : [];
}

/**
 * The same, for events named by id (those this process stored and holds): no scan, and no body to send back unless
 * another process stored them (announced ids). The
 * status is tested as `is true` so that it is only a filter: as an index condition the planner took the status index,
 * whose `received` entries include every event processed since the last vacuum (bench:crm, 500/s: 0.9 ms a call
 * against 0.1 ms by primary key).
 */
const CLAIM_IDS_SQL = (withBody: boolean) => `
select id, ${withBody ? 'body, ' : ''}attempts + 1 as attempts from webhook_events
where id = any($1::bigint[]) and (status = 'received') is true and next_attempt_at <= now() and (locked_until is null or locked_until < now())
order by id
for update skip locked`;
const CLAIM_IDS_NO_BODY_SQL = CLAIM_IDS_SQL(false);
const CLAIM_IDS_WITH_BODY_SQL = CLAIM_IDS_SQL(true);
const CLAIM_SQL_MANY = CLAIM_SQL(false);
const CLAIM_SQL_ONE = CLAIM_SQL(true);

const FINISH_MANY_SQL = `
update webhook_events w set status = v.status, account_ig_ids = v.ids, event_count = v.n, last_error = v.err,
  item_outcomes = v.items, processed_at = now(), locked_until = null, attempts = w.attempts + 1
from unnest($1::bigint[], $2::text[], $3::jsonb[], $4::int[], $5::text[], $6::jsonb[]) as v(id, status, ids, n, err, items)
where w.id = v.id`;

/** `n` new raw-event ids, in ascending order (taken from the table's identity; a rolled-back one is skipped). */
const ALLOCATE_IDS_SQL = `select nextval(pg_get_serial_sequence('webhook_events', 'id')) as id from generate_series(1, $1::int)`;

/**
 * Raw events stored already applied, with their outcomes, under the ids `allocateIds` gave: one row version each, where
 * an insert and then the update of its outcome would write two (and index both).
 */
const INSERT_APPLIED_SQL = `
insert into webhook_events (id, body, signature_secret_index, status, account_ig_ids, event_count, last_error, item_outcomes,
  attempts, processed_at)
overriding system value
select v.id, v.body, v.secret_index, v.status, v.ids, v.n, v.err, v.items, 1, now()
from unnest($1::bigint[], $2::bytea[], $3::int[], $4::text[], $5::jsonb[], $6::int[], $7::text[], $8::jsonb[])
  as v(id, body, secret_index, status, ids, n, err, items)`;

/** What processing an event came to (`finishMany`, `insertApplied`). */
export type WebhookEventOutcome = {
  id: number;
  status: Exclude<WebhookEventStatus, 'received'>;
  accountIgIds: string[];
  eventCount: number;
  error: string | null;
  items: WebhookItemOutcomes | null;
};

export function createWebhookEventsRepository(db: Db) {
  const ids = createIdBlocks((tx, n) => fixedRows<{ id: number | string }>(tx, ALLOCATE_IDS_SQL, [n]).then((rows) => rows.map((r) => Number(r.id))));

  /**
   * Several POSTs' bodies in one statement and one commit (the route's group commit), one NOTIFY for all of them
   * with `announce`. Answers the new ids in the order given (rows are numbered in insertion order).
   */
  async function insertRawMany(items: readonly { body: Buffer; secretIndex: number }[], opts: { announce?: boolean } = {}): Promise<number[]> {
    if (items.length === 0) return [];
    const rows = await preparedRows<{ id: number | string }>(
      db,
      `webhook_events_insert_${items.length}${opts.announce ? '_announce' : ''}`,
      insertRawSql(items.length, opts.announce ?? false),
      items.flatMap((i) => [i.body, i.secretIndex]),
    );
    if (rows.length !== items.length) throw new Error(`insert returned ${rows.length} rows for ${items.length} bodies`);
    return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
  }

  return {
    /**
     * The one statement between a signed POST and its 200. With `announce`, the same statement also NOTIFYs
     * WEBHOOK_CHANNEL (delivered at commit), so worker processes elsewhere start on it at once.
     */
    async insertRaw(body: Buffer, secretIndex: number, opts: { announce?: boolean } = {}): Promise<number> {
      const [id] = await insertRawMany([{ body, secretIndex }], opts);
      if (id === undefined) throw new Error('insert returned no row');
      return id;
    },

    insertRawMany,

    /** Claims due events inside the caller's transaction; the claim lasts until it commits or rolls back. */
    async claimInTx(tx: Db, limit: number, onlyId?: number): Promise<ClaimedEvent[]> {
      const rows = await fixedRows<{ id: string | number; body: Buffer | Uint8Array; attempts: number }>(
        tx,
        onlyId === undefined ? CLAIM_SQL_MANY : CLAIM_SQL_ONE,
        onlyId === undefined ? [limit] : [limit, onlyId],
      );
      return rows.map((r) => ({ id: Number(r.id), body: Buffer.from(r.body), attempts: r.attempts })).sort((a, b) => a.id - b.id);
    },

    /**
     * Claims, inside the caller's transaction, those of `ids` still due and unclaimed: their ids, attempt numbers and,
     * with `withBody` (ids announced by another process), their bodies.
     */
    async claimIdsInTx(tx: Db, ids: readonly number[], withBody = false): Promise<{ id: number; attempts: number; body?: Buffer }[]> {
      if (ids.length === 0) return [];
      const rows = await fixedRows<{ id: string | number; attempts: number; body?: Buffer | Uint8Array }>(tx, withBody ? CLAIM_IDS_WITH_BODY_SQL : CLAIM_IDS_NO_BODY_SQL, [ids]);
      return rows.map((r) => ({ id: Number(r.id), attempts: Number(r.attempts), ...(r.body ? { body: Buffer.from(r.body) } : {}) }));
    },

    /** Due event ids, without claiming them (to isolate a batch that failed). */
    async dueIds(limit: number): Promise<number[]> {
      const rows = await queryRows<{ id: string | number }>(
        db,
        sql`select id from webhook_events where status = 'received' and next_attempt_at <= now() and (locked_until is null or locked_until < now())
            order by next_attempt_at, id limit ${limit}`,
      );
      return rows.map((r) => Number(r.id));
    },

    async finish(
      id: number,
      result: { status: Exclude<WebhookEventStatus, 'received'>; accountIgIds: string[]; eventCount: number; error?: string },
      tx: Db = db,
    ) {
      await tx
        .update(webhookEvents)
        .set({
          status: result.status,
          accountIgIds: result.accountIgIds,
          eventCount: result.eventCount,
          lastError: result.error ?? null,
          processedAt: new Date(),
          lockedUntil: null,
          attempts: sql`${webhookEvents.attempts} + 1`,
        })
        .where(eq(webhookEvents.id, id));
    },

    /** `n` ids for events to be stored by `insertApplied` in the caller's transaction `tx`, ascending (`id-blocks.ts`). */
    allocateIds: ids.take,

    /** Stores events applied in `tx` (their ids from `allocateIds`), each with its body and outcome, in one statement. */
    async insertApplied(tx: Db, rows: readonly (WebhookEventOutcome & { body: Buffer; secretIndex: number })[]): Promise<void> {
      if (rows.length === 0) return;
      await preparedRows(tx, 'webhook_events_insert_applied', INSERT_APPLIED_SQL, [
        rows.map((r) => r.id),
        rows.map((r) => r.body),
        rows.map((r) => r.secretIndex),
        rows.map((r) => r.status),
        rows.map((r) => JSON.stringify(r.accountIgIds)),
        rows.map((r) => r.eventCount),
        rows.map((r) => r.error),
        rows.map((r) => (r.items === null ? null : JSON.stringify(r.items))),
      ]);
    },

    /** Records the outcomes of a processed batch in one statement. */
    async finishMany(tx: Db, results: readonly WebhookEventOutcome[]) {
      if (results.length === 0) return;
      await fixedRows(tx, FINISH_MANY_SQL, [
        results.map((r) => r.id),
        results.map((r) => r.status),
        results.map((r) => JSON.stringify(r.accountIgIds)),
        results.map((r) => r.eventCount),
        results.map((r) => r.error),
        results.map((r) => (r.items === null ? null : JSON.stringify(r.items))),
      ]);
    },

    async retryLater(id: number, error: string, delayMs: number, tx: Db = db) {
      await tx
        .update(webhookEvents)
        .set({ lastError: error.slice(0, 2000), lockedUntil: null, nextAttemptAt: new Date(Date.now() + delayMs), attempts: sql`${webhookEvents.attempts} + 1` })
        .where(eq(webhookEvents.id, id));
    },

    async list(filter: { status?: WebhookEventStatus; before?: number; limit: number }) {
      return db
        .select({
          id: webhookEvents.id,
          receivedAt: webhookEvents.receivedAt,
          status: webhookEvents.status,
          accountIgIds: webhookEvents.accountIgIds,
          eventCount: webhookEvents.eventCount,
          attempts: webhookEvents.attempts,
          lastError: webhookEvents.lastError,
          processedAt: webhookEvents.processedAt,
          itemOutcomes: webhookEvents.itemOutcomes,
          sizeBytes: sql<number>`octet_length(${webhookEvents.body})`,
        })
        .from(webhookEvents)
        .where(
          and(
            filter.status ? eq(webhookEvents.status, filter.status) : undefined,
            filter.before ? lt(webhookEvents.id, filter.before) : undefined,
          ),
        )
        .orderBy(desc(webhookEvents.id))
        .limit(filter.limit);
    },

    async getBody(id: number) {
      const [row] = await db.select({ body: webhookEvents.body }).from(webhookEvents).where(eq(webhookEvents.id, id));
      return row?.body;
    },

    /** One event with its body and what processing made of its items. */
    async getOne(id: number) {
      const [row] = await db
        .select({ id: webhookEvents.id, body: webhookEvents.body, status: webhookEvents.status, itemOutcomes: webhookEvents.itemOutcomes })
        .from(webhookEvents)
        .where(eq(webhookEvents.id, id));
      return row;
    },

    /** Puts events back in the queue: the given ids, or every event of these statuses received since a time. */
    async requeue(filter: { ids?: number[]; statuses?: WebhookEventStatus[]; since?: Date; accountIgId?: string }) {
      const rows = await db
        .update(webhookEvents)
        .set({ status: 'received', nextAttemptAt: new Date(), lockedUntil: null, attempts: 0 })
        .where(
          and(
            filter.ids ? inArray(webhookEvents.id, filter.ids) : undefined,
            filter.statuses ? inArray(webhookEvents.status, filter.statuses) : undefined,
            filter.since ? gte(webhookEvents.receivedAt, filter.since) : undefined,
            filter.accountIgId ? sql`${webhookEvents.accountIgIds} @> ${JSON.stringify([filter.accountIgId])}::jsonb` : undefined,
          ),
        )
        .returning({ id: webhookEvents.id });
      return rows.length;
    },

    async deleteOlderThan(cutoff: Date) {
      const rows = await db
        .delete(webhookEvents)
        .where(and(lt(webhookEvents.receivedAt, cutoff), sql`${webhookEvents.status} <> 'received'`))
        .returning({ id: webhookEvents.id });
      return rows.length;
    },

    async countByStatus() {
      return queryRows<{ status: WebhookEventStatus; n: number }>(
        db,
        sql`select status, count(*)::int as n from webhook_events group by status`,
      );
    },
  };
}
export type WebhookEventsRepository = ReturnType<typeof createWebhookEventsRepository>;
