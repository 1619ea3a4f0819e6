import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client.ts';

/** What an operator watches, read from the database: the same answer in every process. */
export type WebhookBacklog = { pending: number; oldestSeconds: number; failedLastDay: number };
export type CrmEndpointHealth = {
  accountId: string;
  account: string;
  pending: number;
  oldestPendingSeconds: number;
  failingSeconds: number | null;
  disabled: boolean;
  disabledReason: string | null;
};
export type CrmRecentOutcomes = { accountId: string; failed: number; succeeded: number };
export type SendQueue = { queued: number; sending: number; unknown: number; pausedAccounts: number };
export type AccountHealth = {
  id: string;
  username: string;
  igUserId: string;
  status: string;
  tokenExpiresInSeconds: number | null;
  hasToken: boolean;
};

const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));

export function createOperationsRepository(db: Db) {
  return {
    async webhookBacklog(): Promise<WebhookBacklog> {
      const [row] = await queryRows<{ pending: number; oldest: number | null; failed: number }>(
        db,
        sql`select (select count(*)::int from webhook_events where status = 'received') as pending,
                   (select extract(epoch from now() - min(received_at))::float8 from webhook_events where status = 'received') as oldest,
                   (select count(*)::int from webhook_events where status = 'failed' and received_at > now() - interval '1 day') as failed`,
      );
      return { pending: num(row?.pending), oldestSeconds: num(row?.oldest), failedLastDay: num(row?.failed) };
    },

    /** Every account with a CRM endpoint: its backlog and how long it has been failing (cheap: read per scrape). */
    async crmEndpoints(): Promise<CrmEndpointHealth[]> {
      const rows = await queryRows<{
        id: string;
        username: string;
        pending: number;
        oldest: number | null;
        failing: number | null;
        disabled: boolean;
        reason: string | null;
      }>(
        db,
        sql`select a.id, a.username,
                   (select count(*)::int from crm_deliveries d where d.account_id = a.id and d.status = 'pending') as pending,
                   (select extract(epoch from now() - min(d.created_at))::float8 from crm_deliveries d where d.account_id = a.id and d.status = 'pending') as oldest,
                   extract(epoch from now() - a.crm_failing_since)::float8 as failing,
                   a.crm_disabled_at is not null as disabled,
                   a.crm_disabled_reason as reason
              from accounts a
             where a.crm_webhook_url is not null
             order by a.username`,
      );
      return rows.map((r) => ({
        accountId: r.id,
        account: r.username,
        pending: num(r.pending),
        oldestPendingSeconds: num(r.oldest),
        failingSeconds: r.failing === null ? null : Number(r.failing),
        disabled: Boolean(r.disabled),
        disabledReason: r.reason,
      }));
    },

    /** Attempts of the last day per account (for `doctor`, once: it reads the day's attempts). */
    async crmRecentOutcomes(): Promise<CrmRecentOutcomes[]> {
      const rows = await queryRows<{ account_id: string; failed: number; succeeded: number }>(
        db,
        // the attempt rows, and the successes kept in their deliveries (migration 0016), which have none
        sql`select account_id, sum(failed)::int as failed, sum(succeeded)::int as succeeded from (
              select d.account_id,
                     count(*) filter (where t.status_code is null or t.status_code not between 200 and 299) as failed,
                     count(*) filter (where t.status_code between 200 and 299) as succeeded
                from crm_delivery_attempts t join crm_deliveries d on d.id = t.delivery_id
               where t.attempted_at > now() - interval '1 day'
               group by d.account_id
              union all
              select account_id, 0, count(*)
                from crm_deliveries
               where status = 'succeeded' and last_duration_ms is not null and last_attempt_at > now() - interval '1 day'
               group by account_id
            ) o
            group by account_id`,
      );
      return rows.map((r) => ({ accountId: r.account_id, failed: num(r.failed), succeeded: num(r.succeeded) }));
    },

    async sendQueue(): Promise<SendQueue> {
      const [row] = await queryRows<{ queued: number; sending: number; unknown: number; paused: number }>(
        db,
        sql`select count(*) filter (where status = 'queued')::int as queued,
                   count(*) filter (where status = 'sending')::int as sending,
                   count(*) filter (where status = 'unknown')::int as unknown,
                   (select count(*)::int from accounts where send_paused_until > now()) as paused
              from messages where status in ('queued', 'sending', 'unknown')`,
      );
      return { queued: num(row?.queued), sending: num(row?.sending), unknown: num(row?.unknown), pausedAccounts: num(row?.paused) };
    },

    async accounts(): Promise<AccountHealth[]> {
      const rows = await queryRows<{ id: string; username: string; ig_user_id: string; status: string; expires: number | null; has_token: boolean }>(
        db,
        sql`select id, username, ig_user_id, status,
                   extract(epoch from token_expires_at - now())::float8 as expires,
                   access_token_encrypted is not null as has_token
              from accounts order by username`,
      );
      return rows.map((r) => ({
        id: r.id,
        username: r.username,
        igUserId: r.ig_user_id,
        status: r.status,
        tokenExpiresInSeconds: r.expires === null ? null : Number(r.expires),
        hasToken: Boolean(r.has_token),
      }));
    },

    /** The database server's clock, to compare with ours. */
    async databaseNow(): Promise<Date> {
      const [row] = await queryRows<{ at: number }>(db, sql`select extract(epoch from now())::float8 * 1000 as at`);
      return new Date(num(row?.at));
    },
  };
}
export type OperationsRepository = ReturnType<typeof createOperationsRepository>;
