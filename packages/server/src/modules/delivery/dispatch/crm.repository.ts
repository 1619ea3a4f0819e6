import { and, desc, eq, gte, inArray, isNotNull, isNull, lt, lte, or, sql } from 'drizzle-orm';
import { fixedRows, queryRows, type Db } from '../../../db/client.ts';
import { accounts, crmDeliveries, crmDeliveryAttempts } from '../../../db/schema/index.ts';
import { createCrmOutcomesRepository } from './crm-outcomes.repository.ts';

export type { UnsuccessfulOutcome } from './crm-outcomes.repository.ts';

export type DeliveryRow = typeof crmDeliveries.$inferSelect;
/** An attempt as the delivery log shows it: a row of `crm_delivery_attempts`, or a success kept in its delivery. */
export type AttemptRow = Omit<typeof crmDeliveryAttempts.$inferSelect, 'id'>;
export type AccountRow = typeof accounts.$inferSelect;

export type ClaimedDelivery = { id: string; accountId: string; attemptCount: number; lockedUntil: Date };

/** What sending a delivery needs of its row and of its account's endpoint, read by the claim itself. */
export type SendingDelivery = Pick<DeliveryRow, 'id' | 'payload' | 'createdAt' | 'status'>;
export type SendingAccount = Pick<
  AccountRow,
  'id' | 'crmWebhookUrl' | 'crmDisabledAt' | 'crmFailingSince' | 'crmProbeAt' | 'webhookSecret' | 'webhookSecretPrevious' | 'webhookSecretRotatedAt'
>;
export type ClaimedWork = { claimed: ClaimedDelivery; delivery: SendingDelivery; account: SendingAccount };

type ClaimRow = {
  id: string;
  account_id: string;
  attempt_count: number;
  payload: Record<string, unknown>;
  created_at: Date | string;
  status: DeliveryRow['status'];
  crm_webhook_url: string | null;
  crm_disabled_at: Date | string | null;
  crm_failing_since: Date | string | null;
  crm_probe_at: Date | string | null;
  webhook_secret: string | null;
  webhook_secret_previous: string | null;
  webhook_secret_rotated_at: Date | string | null;
};

const date = (v: Date | string) => (v instanceof Date ? v : new Date(v));
const dateOrNull = (v: Date | string | null) => (v === null ? null : date(v));

export function createCrmRepository(db: Db) {
  return {
    /** writing what came of attempts: crm-outcomes.repository.ts */
    ...createCrmOutcomesRepository(db),

    /**
     * Takes up to `limit` due deliveries of enabled endpoints, at most `perEndpoint` in flight per account
     * (this process's as `own` says, per account; other processes' by their claims), and marks each as claimed until
     * `leaseUntil`. A claimed delivery is invisible to every other claim until it is finished or its lease runs out
     * (a crashed worker).
     */
    async claimDue(opts: {
      now: Date;
      leaseUntil: Date;
      limit: number;
      perEndpoint: number;
      processId: string;
      deadAfterMs: number;
      own: ReadonlyMap<string, number>;
    }): Promise<ClaimedWork[]> {
      // one round trip: the lock and the claim run inside crm_claim_due (migration 0013), in this statement's transaction
      const rows = await fixedRows<ClaimRow>(
        db,
        'select * from crm_claim_due($1::timestamptz, $2::timestamptz, $3::int, $4::int, $5::uuid, $6::int, $7::uuid[], $8::int[])',
        [opts.now.toISOString(), opts.leaseUntil.toISOString(), opts.limit, opts.perEndpoint, opts.processId, opts.deadAfterMs, [...opts.own.keys()], [...opts.own.values()]],
      );
      return rows.map((r) => ({
        claimed: { id: r.id, accountId: r.account_id, attemptCount: Number(r.attempt_count), lockedUntil: opts.leaseUntil },
        delivery: { id: r.id, payload: r.payload, createdAt: date(r.created_at), status: r.status },
        account: {
          id: r.account_id,
          crmWebhookUrl: r.crm_webhook_url,
          crmDisabledAt: dateOrNull(r.crm_disabled_at),
          crmFailingSince: dateOrNull(r.crm_failing_since),
          crmProbeAt: dateOrNull(r.crm_probe_at),
          webhookSecret: r.webhook_secret,
          webhookSecretPrevious: r.webhook_secret_previous,
          webhookSecretRotatedAt: dateOrNull(r.webhook_secret_rotated_at),
        },
      }));
    },

    /** Releases the claims of process `processId` on every delivery but `keep` (claims whose answer it never got). */
    async releaseClaimsOfProcessExcept(processId: string, keep: readonly string[]): Promise<number> {
      const rows = await db
        .update(crmDeliveries)
        .set({ lockedUntil: null, lockedBy: null })
        .where(
          and(
            eq(crmDeliveries.lockedBy, processId),
            isNotNull(crmDeliveries.lockedUntil),
            keep.length > 0 ? sql`not (${crmDeliveries.id} = any(${sql.param([...keep])}::text[]))` : undefined,
          ),
        )
        .returning({ id: crmDeliveries.id });
      return rows.length;
    },

    async getDelivery(accountId: string, id: string, tx: Db = db): Promise<DeliveryRow | undefined> {
      const [row] = await tx
        .select()
        .from(crmDeliveries)
        .where(and(eq(crmDeliveries.id, id), eq(crmDeliveries.accountId, accountId)))
        .limit(1);
      return row;
    },

    async getAccount(accountId: string, tx: Db = db): Promise<AccountRow | undefined> {
      const [row] = await tx.select().from(accounts).where(eq(accounts.id, accountId)).limit(1);
      return row;
    },

    async updateAccount(accountId: string, values: Partial<typeof accounts.$inferInsert>, tx: Db = db): Promise<AccountRow> {
      const [row] = await tx.update(accounts).set(values).where(eq(accounts.id, accountId)).returning();
      if (!row) throw new Error(`account ${accountId} vanished`);
      return row;
    },

    async insertDelivery(values: typeof crmDeliveries.$inferInsert, tx: Db = db): Promise<void> {
      await tx.insert(crmDeliveries).values(values);
    },

    /**
     * An endpoint answered again after failing: its deliveries waiting out their back-off are due now, in the order
     * they were written (a delivery is due at its creation time), instead of each waiting for its own retry. The
     * claim keeps the endpoint under its concurrency cap. Their attempt counts stay: if it fails again they go on
     * along the schedule.
     */
    async releaseBacklog(accountId: string, now: Date, tx: Db = db): Promise<number> {
      const rows = await tx
        .update(crmDeliveries)
        .set({ nextAttemptAt: crmDeliveries.createdAt })
        .where(and(eq(crmDeliveries.accountId, accountId), eq(crmDeliveries.status, 'pending'), sql`${crmDeliveries.nextAttemptAt} > ${now}`))
        .returning({ id: crmDeliveries.id });
      return rows.length;
    },

    /**
     * An endpoint answered again: its deliveries written since `from` and never attempted (written while it still
     * counted as failing, though it may have been back) are due just before the earliest of its others (the backlog
     * it releases), so they go first, in the order they were written.
     */
    async putRecentAhead(accountId: string, from: Date, tx: Db = db): Promise<number> {
      const earliest = sql`(select min(e.next_attempt_at) - interval '1 millisecond' from crm_deliveries e
        where e.account_id = ${accountId} and e.status = 'pending')`;
      const rows = await tx
        .update(crmDeliveries)
        .set({ nextAttemptAt: earliest })
        .where(
          and(
            eq(crmDeliveries.accountId, accountId),
            eq(crmDeliveries.status, 'pending'),
            eq(crmDeliveries.attemptCount, 0),
            sql`${crmDeliveries.createdAt} >= ${from}`,
          ),
        )
        .returning({ id: crmDeliveries.id });
      return rows.length;
    },

    /**
     * Which of these accounts' endpoints are healthy now (no `crm_failing_since`): an outcome batch that read them as
     * failing when it claimed learns that another batch (this process's or another's) has seen the endpoint answer
     * again since. Read without a lock (a lock here could deadlock with that batch's own account updates): a release
     * committed between this read and the caller's commit is not seen, and those deliveries wait out their back-off.
     */
    async healthyAmong(accountIds: readonly string[], tx: Db = db): Promise<string[]> {
      if (accountIds.length === 0) return [];
      const rows = await tx
        .select({ id: accounts.id })
        .from(accounts)
        .where(and(inArray(accounts.id, [...accountIds]), isNull(accounts.crmFailingSince)));
      return rows.map((r) => r.id);
    },

    /** The account's pending deliveries go out now, from the start of the schedule (new URL, re-enabled endpoint). */
    async restartPending(accountId: string, now: Date, tx: Db = db): Promise<number> {
      const rows = await tx
        .update(crmDeliveries)
        .set({ nextAttemptAt: now, attemptCount: 0 })
        .where(and(eq(crmDeliveries.accountId, accountId), eq(crmDeliveries.status, 'pending')))
        .returning({ id: crmDeliveries.id });
      return rows.length;
    },

    async cancelPending(accountId: string, reason: string, tx: Db = db): Promise<number> {
      const rows = await tx
        .update(crmDeliveries)
        .set({ status: 'cancelled', nextAttemptAt: null, lastError: reason })
        .where(and(eq(crmDeliveries.accountId, accountId), eq(crmDeliveries.status, 'pending')))
        .returning({ id: crmDeliveries.id });
      return rows.length;
    },

    /** Puts deliveries back in the queue, due now, with a fresh schedule. Claimed (in-flight) ones are left alone. */
    async requeue(accountId: string, where: { id: string } | { failedSince: Date }, now: Date, tx: Db = db): Promise<string[]> {
      const filter =
        'id' in where
          ? eq(crmDeliveries.id, where.id)
          : and(eq(crmDeliveries.status, 'failed'), gte(crmDeliveries.createdAt, where.failedSince));
      const which = and(eq(crmDeliveries.accountId, accountId), filter, or(sql`${crmDeliveries.lockedUntil} is null`, lt(crmDeliveries.lockedUntil, now)));
      // A success kept in its delivery (see `attemptsOf`) becomes an attempt row first, so the log keeps it; the
      // statement's two parts read the same snapshot: the row as it was before this update.
      const rows = await queryRows<{ id: string }>(
        tx,
        sql`with kept as (
              insert into crm_delivery_attempts (delivery_id, attempted_at, status_code, duration_ms, error, response_excerpt)
              select id, last_attempt_at, last_status_code, last_duration_ms, null, last_response_excerpt from crm_deliveries
              where ${which} and status = 'succeeded' and last_duration_ms is not null and last_attempt_at is not null
            )
            update crm_deliveries
            set status = 'pending', next_attempt_at = ${now.toISOString()}::timestamptz, attempt_count = 0, succeeded_at = null,
                last_duration_ms = null, last_response_excerpt = null
            where ${which}
            returning id`,
      );
      return rows.map((r) => r.id);
    },

    async listDeliveries(
      accountId: string,
      filter: { status?: DeliveryRow['status']; eventType?: string; since?: Date; until?: Date; before?: { createdAt: Date; id: string }; limit: number },
    ): Promise<DeliveryRow[]> {
      const conditions = [eq(crmDeliveries.accountId, accountId)];
      if (filter.status) conditions.push(eq(crmDeliveries.status, filter.status));
      if (filter.eventType) conditions.push(eq(crmDeliveries.eventType, filter.eventType));
      if (filter.since) conditions.push(gte(crmDeliveries.createdAt, filter.since));
      if (filter.until) conditions.push(lt(crmDeliveries.createdAt, filter.until));
      if (filter.before) {
        const { createdAt, id } = filter.before;
        const older = or(lt(crmDeliveries.createdAt, createdAt), and(eq(crmDeliveries.createdAt, createdAt), lt(crmDeliveries.id, id)));
        if (older) conditions.push(older);
      }
      return db
        .select()
        .from(crmDeliveries)
        .where(and(...conditions))
        .orderBy(desc(crmDeliveries.createdAt), desc(crmDeliveries.id))
        .limit(filter.limit);
    },

    /**
     * The attempts of these deliveries, oldest first: the rows of those that did not succeed, and each success, kept in
     * its delivery since migration 0016 (a success from before has its row).
     */
    async attemptsOf(deliveryIds: string[]): Promise<AttemptRow[]> {
      if (deliveryIds.length === 0) return [];
      const rows = await db
        .select()
        .from(crmDeliveryAttempts)
        .where(inArray(crmDeliveryAttempts.deliveryId, deliveryIds))
        .orderBy(crmDeliveryAttempts.attemptedAt, crmDeliveryAttempts.id);
      const kept = await db
        .select({
          deliveryId: crmDeliveries.id,
          attemptedAt: crmDeliveries.lastAttemptAt,
          statusCode: crmDeliveries.lastStatusCode,
          durationMs: crmDeliveries.lastDurationMs,
          responseExcerpt: crmDeliveries.lastResponseExcerpt,
        })
        .from(crmDeliveries)
        .where(and(inArray(crmDeliveries.id, deliveryIds), eq(crmDeliveries.status, 'succeeded'), isNotNull(crmDeliveries.lastDurationMs)));
      const successes: AttemptRow[] = kept.flatMap((k) =>
        k.attemptedAt === null || k.durationMs === null ? [] : [{ ...k, attemptedAt: k.attemptedAt, durationMs: k.durationMs, error: null }],
      );
      // `attemptedAt` alone orders them: a success is each delivery's last attempt
      const attempts: AttemptRow[] = rows.map(({ id: _id, ...attempt }) => attempt);
      return [...attempts, ...successes].sort((a, b) => a.attemptedAt.getTime() - b.attemptedAt.getTime());
    },

    /** Finished deliveries older than `before` (the attempts go with them). */
    async deleteFinishedBefore(before: Date): Promise<number> {
      const rows = await db
        .delete(crmDeliveries)
        .where(and(inArray(crmDeliveries.status, ['succeeded', 'cancelled']), lte(crmDeliveries.createdAt, before), isNotNull(crmDeliveries.createdAt)))
        .returning({ id: crmDeliveries.id });
      return rows.length;
    },
  };
}
export type CrmRepository = ReturnType<typeof createCrmRepository>;
