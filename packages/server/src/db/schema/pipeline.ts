import { sql } from 'drizzle-orm';
import {
  bigint,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { timestampNow } from './columns.ts';
import { accounts, apiKeys } from './accounts.ts';
import { conversations } from './inbox.ts';
import { users } from './users.ts';

const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (value) => Buffer.from(value),
});

export const WEBHOOK_EVENT_STATUSES = [
  'received',
  'processed',
  'failed',
  'invalid',
  'unrouted',
  'unhandled',
] as const;

/**
 * What processing made of a raw event's items (§3.7): how many were applied and how many wait for their message,
 * and each one ignored (with why: `not_supported`, or `malformed`) or left for an account nobody has linked.
 */
export type WebhookItemOutcomes = {
  applied: number;
  waiting: number;
  ignored: { path: string; type: string; code: 'not_supported' | 'malformed'; reason: string }[];
  unrouted: string[];
};

/** Every signed Meta webhook POST, kept verbatim before it is acknowledged. */
export const webhookEvents = pgTable(
  'webhook_events',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    receivedAt: timestampNow(),
    body: bytea().notNull(),
    signatureSecretIndex: integer(),
    status: text({ enum: WEBHOOK_EVENT_STATUSES }).notNull().default('received'),
    /** The IG account ids the batch names; how unrouted events are found when an account is linked. */
    accountIgIds: jsonb().$type<string[]>(),
    eventCount: integer(),
    attempts: integer().notNull().default(0),
    /** While `received`: when a worker may (re)try it; the raw-event row is the processing queue itself. */
    nextAttemptAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    /** A worker's claim; an expired claim (crashed worker) is taken over. */
    lockedUntil: timestamp({ withTimezone: true }),
    lastError: text(),
    processedAt: timestamp({ withTimezone: true }),
    /** Set when processed; null before, and for events processed before outcomes were recorded. */
    itemOutcomes: jsonb().$type<WebhookItemOutcomes>(),
  },
  (t) => [
    index('webhook_events_status_idx').on(t.status, t.id),
    index('webhook_events_received_idx').on(t.receivedAt),
    index('webhook_events_due_idx')
      .on(t.nextAttemptAt, t.id)
      .where(sql`${t.status} = 'received'`),
  ],
);

export const CRM_DELIVERY_STATUSES = ['pending', 'succeeded', 'failed', 'cancelled'] as const;

/** One CRM event for one account endpoint; its id is the Standard Webhooks `webhook-id`. */
export const crmDeliveries = pgTable(
  'crm_deliveries',
  {
    id: text().primaryKey(),
    accountId: uuid()
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    conversationId: uuid().references(() => conversations.id, { onDelete: 'set null' }),
    eventType: text().notNull(),
    sequence: bigint({ mode: 'number' }),
    payload: jsonb().$type<Record<string, unknown>>().notNull(),
    status: text({ enum: CRM_DELIVERY_STATUSES }).notNull().default('pending'),
    attemptCount: integer().notNull().default(0),
    nextAttemptAt: timestamp({ withTimezone: true }),
    /** A dispatcher's claim for one attempt; also what the per-endpoint concurrency cap counts. */
    lockedUntil: timestamp({ withTimezone: true }),
    /** The process holding the claim (`processes.id`): a claim of a process that stopped beating is over at once. */
    lockedBy: uuid(),
    lastAttemptAt: timestamp({ withTimezone: true }),
    lastStatusCode: integer(),
    lastError: text(),
    /**
     * The successful attempt's duration and the start of its answer. A success is kept here, not as a row of
     * `crm_delivery_attempts` (which holds the attempts that failed): one row fewer written per event. The delivery
     * log shows it with the others (crm.repository.ts `attemptsOf`). Null for a success written before (its attempt
     * row has it) and for a test ping.
     */
    lastDurationMs: integer(),
    lastResponseExcerpt: text(),
    succeededAt: timestamp({ withTimezone: true }),
    createdAt: timestampNow(),
  },
  (t) => [
    index('crm_deliveries_account_created_idx').on(t.accountId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    index('crm_deliveries_due_idx')
      .on(t.status, t.nextAttemptAt)
      .where(sql`${t.status} = 'pending'`),
    // the claim's order (next attempt, then id) straight from the index: a claim reads only the rows it takes
    index('crm_deliveries_account_due_idx')
      .on(t.accountId, t.nextAttemptAt, t.id)
      .where(sql`${t.status} = 'pending'`),
    index('crm_deliveries_account_locked_idx')
      .on(t.accountId)
      .where(sql`${t.lockedUntil} is not null`),
  ],
);

export const crmDeliveryAttempts = pgTable(
  'crm_delivery_attempts',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    deliveryId: text()
      .notNull()
      .references(() => crmDeliveries.id, { onDelete: 'cascade' }),
    attemptedAt: timestampNow(),
    statusCode: integer(),
    durationMs: integer().notNull(),
    error: text(),
    responseExcerpt: text(),
  },
  (t) => [index('crm_delivery_attempts_delivery_idx').on(t.deliveryId, t.attemptedAt)],
);

/** A send retried with the same `Idempotency-Key` returns the first result. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    scope: text().notNull(),
    key: text().notNull(),
    requestHash: text().notNull(),
    statusCode: integer(),
    response: jsonb(),
    createdAt: timestampNow(),
  },
  (t) => [uniqueIndex('idempotency_keys_scope_key').on(t.scope, t.key), index('idempotency_keys_created_idx').on(t.createdAt)],
);

/** Live-update events, kept briefly so an SSE client can resume with `Last-Event-ID`. */
export const realtimeEvents = pgTable(
  'realtime_events',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    accountId: uuid()
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    type: text().notNull(),
    payload: jsonb().$type<Record<string, unknown>>().notNull(),
    createdAt: timestampNow(),
  },
  (t) => [index('realtime_events_account_idx').on(t.accountId, t.id)],
);

/**
 * Counters shared by every process: windows for sign-in throttling (`not_before`: no attempt is reserved before
 * it, see rate-counters.repository.ts); for the send limiter, `reset_at` is the next free turn.
 */
export const rateLimitCounters = pgTable('rate_limit_counters', {
  key: text().primaryKey(),
  count: integer().notNull(),
  resetAt: timestamp({ withTimezone: true }).notNull(),
  notBefore: timestamp({ withTimezone: true }),
});

/** Who did what: sign-ins, account links, key creation, configuration changes. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    at: timestampNow(),
    actorUserId: uuid().references(() => users.id, { onDelete: 'set null' }),
    actorApiKeyId: uuid().references(() => apiKeys.id, { onDelete: 'set null' }),
    accountId: uuid().references(() => accounts.id, { onDelete: 'set null' }),
    action: text().notNull(),
    target: text(),
    details: jsonb().$type<Record<string, unknown>>(),
    ip: text(),
    requestId: text(),
  },
  (t) => [index('audit_log_account_idx').on(t.accountId, t.at), index('audit_log_at_idx').on(t.at)],
);

/**
 * The Threadline processes running against this database, each beating every second. Work a process holds (a CRM
 * delivery under way, a message being sent) is tied to its row: when it stops beating (killed, crashed, cut off)
 * another process, or the same one restarted, takes the work over within seconds instead of waiting out a lease.
 */
export const processes = pgTable(
  'processes',
  {
    id: uuid().primaryKey(),
    role: text().notNull(),
    host: text().notNull(),
    pid: integer().notNull(),
    startedAt: timestampNow(),
    heartbeatAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('processes_heartbeat_idx').on(t.heartbeatAt)],
);
