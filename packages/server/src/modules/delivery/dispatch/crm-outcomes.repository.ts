/**
 * The SQL that writes what came of CRM delivery attempts: attempt rows, successes and failures (the next attempt, or
 * given up), and the claims released with them. Composed into the CRM repository (crm.repository.ts).
 */
import { and, eq, inArray, isNotNull } from 'drizzle-orm';
import { fixedRows, type Db } from '../../../db/client.ts';
import { crmDeliveries, crmDeliveryAttempts } from '../../../db/schema/index.ts';

/*
 * The outcome statements find their rows by primary key. Their `(d.status = 'pending') is true` is a filter only: as an
 * index condition the planner took the partial index of pending deliveries by a bitmap scan, whose entries include every
 * delivery handed over since the last vacuum (auto_explain, bench:crm at 500/s: 628 entries read for 20 outcomes).
 */

/**
 * The claims of the outcomes `v` whose delivery is no longer pending (cancelled meanwhile), released; the statement's
 * `done` part updates the pending ones, so no row is updated twice.
 */
const RELEASED_CTE = `released as (
  update crm_deliveries d set locked_until = null
  from v where d.id = v.id and d.status <> 'pending' and d.locked_until is not null
  returning d.id
)`;

/**
 * `recordSucceeded`: $1 ids, $2 attempted at, $3 answered at (the attempt's start plus its duration), $4 status codes,
 * $5 durations, $6 answer excerpts.
 */
const RECORD_SUCCEEDED_SQL = `
with v(id, at, answered_at, code, duration_ms, excerpt) as (
  select * from unnest($1::text[], $2::timestamptz[], $3::timestamptz[], $4::int[], $5::int[], $6::text[])
),
done as (
  update crm_deliveries d
  set status = 'succeeded', succeeded_at = v.answered_at, next_attempt_at = null, last_attempt_at = v.at,
      last_status_code = v.code, last_error = null, last_duration_ms = v.duration_ms, last_response_excerpt = v.excerpt,
      locked_until = null
  from v where d.id = v.id and (d.status = 'pending') is true
  returning d.id
),
${RELEASED_CTE}
select (select count(*) from done)::int as done, (select count(*) from released)::int as released`;

/**
 * `finishDeliveries`: $1 ids, $2 attempted at, $3 status codes, $4 errors, $5 next attempts (null: none), $6 statuses
 * (`pending`, or `failed` when given up). As in RECORD_SUCCEEDED_SQL, no row is updated twice: a delivery cancelled
 * meanwhile only has its claim released.
 */
const FINISH_DELIVERIES_SQL = `
with v(id, at, code, err, next_at, status) as (
  select * from unnest($1::text[], $2::timestamptz[], $3::int[], $4::text[], $5::timestamptz[], $6::text[])
),
done as (
  update crm_deliveries d
  set status = v.status, last_attempt_at = v.at, last_status_code = v.code, last_error = v.err, next_attempt_at = v.next_at,
      locked_until = null
  from v where d.id = v.id and (d.status = 'pending') is true
  returning d.id
),
${RELEASED_CTE}
select (select count(*) from done)::int as done, (select count(*) from released)::int as released`;

/** What an attempt that did not succeed leaves in its delivery (`finishDeliveries`). */
export type UnsuccessfulOutcome = {
  id: string;
  lastAttemptAt: Date;
  lastStatusCode: number | null;
  lastError: string | null;
  /** null: no further attempt (given up, with `failed`) */
  nextAttemptAt: Date | null;
  status: 'pending' | 'failed';
};

export function createCrmOutcomesRepository(db: Db) {
  return {
    /** Releases claims that came to nothing to send (cancelled meanwhile, endpoint gone). */
    async releaseClaims(ids: readonly string[], tx: Db = db): Promise<void> {
      if (ids.length > 0) await tx.update(crmDeliveries).set({ lockedUntil: null }).where(inArray(crmDeliveries.id, [...ids]));
    },

    /** Attempts of many deliveries in one statement. */
    async insertAttempts(values: (typeof crmDeliveryAttempts.$inferInsert)[], tx: Db = db): Promise<void> {
      if (values.length > 0) await tx.insert(crmDeliveryAttempts).values(values);
    },

    /**
     * Records many successful attempts in one statement (atomic without a transaction): the deliveries marked
     * succeeded, each with its attempt (time, status, duration, the start of the answer: no attempt row; see the
     * schema's `lastDurationMs`), those still pending only (one cancelled meanwhile stays cancelled), and every claim
     * released. As in `finishDelivery`, no row is updated twice.
     */
    async recordSucceeded(
      items: readonly { id: string; at: Date; answeredAt: Date; statusCode: number | null; durationMs: number; responseExcerpt: string | null }[],
      tx: Db = db,
    ): Promise<void> {
      if (items.length === 0) return;
      await fixedRows(tx, RECORD_SUCCEEDED_SQL, [
        items.map((i) => i.id),
        items.map((i) => i.at.toISOString()),
        items.map((i) => i.answeredAt.toISOString()),
        items.map((i) => i.statusCode),
        items.map((i) => i.durationMs),
        items.map((i) => i.responseExcerpt),
      ]);
    },

    async insertAttempt(values: typeof crmDeliveryAttempts.$inferInsert, tx: Db = db): Promise<void> {
      await tx.insert(crmDeliveryAttempts).values(values);
    },

    /** `finishDelivery` for many deliveries in one statement (a batch of attempts that did not succeed). */
    async finishDeliveries(outcomes: readonly UnsuccessfulOutcome[], tx: Db = db): Promise<void> {
      if (outcomes.length === 0) return;
      await fixedRows(tx, FINISH_DELIVERIES_SQL, [
        outcomes.map((o) => o.id),
        outcomes.map((o) => o.lastAttemptAt.toISOString()),
        outcomes.map((o) => o.lastStatusCode),
        outcomes.map((o) => o.lastError),
        outcomes.map((o) => o.nextAttemptAt?.toISOString() ?? null),
        outcomes.map((o) => o.status),
      ]);
    },

    /** Writes an attempt's outcome unless the delivery was cancelled meanwhile; always releases the claim. */
    async finishDelivery(id: string, values: Partial<typeof crmDeliveries.$inferInsert>, tx: Db = db): Promise<void> {
      // The two statements never touch the same row: a row updated twice in one transaction has its foreign keys
      // checked again (FOR KEY SHARE on the conversation), which would queue behind ingestion's conversation locks
      // in no particular order, and deadlock with it.
      await tx
        .update(crmDeliveries)
        .set({ ...values, lockedUntil: null })
        .where(and(eq(crmDeliveries.id, id), eq(crmDeliveries.status, 'pending')));
      await tx
        .update(crmDeliveries)
        .set({ lockedUntil: null })
        .where(and(eq(crmDeliveries.id, id), isNotNull(crmDeliveries.lockedUntil)));
    },
  };
}
