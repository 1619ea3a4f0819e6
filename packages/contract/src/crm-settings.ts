import { z } from 'zod';
import { CRM_EVENT_TYPES } from './crm-events.ts';

/**
 * Answers of the CRM settings and delivery-log routes (`/api/v1/accounts/{id}/crm…`, `…/webhook-secret`,
 * `…/crm/test`, `…/crm/deliveries`) and of the instance administrators' webhook-event routes: the server's
 * response schemas and what the web app parses.
 */

export const CRM_DELIVERY_STATUSES = ['pending', 'succeeded', 'failed', 'cancelled'] as const;
export type CrmDeliveryStatus = (typeof CRM_DELIVERY_STATUSES)[number];

export const crmStatusSchema = z.object({
  webhook_url: z.string().nullable(),
  enabled: z.boolean(),
  disabled_at: z.string().nullable(),
  disabled_reason: z.string().nullable(),
  failing_since: z.string().nullable(),
  has_secret: z.boolean(),
  secret_rotated_at: z.string().nullable(),
});
export const accountCrmSchema = z.object({ id: z.string(), username: z.string(), crm: crmStatusSchema });
export type AccountCrm = z.infer<typeof accountCrmSchema>;

export const webhookSecretSchema = z.object({
  secret: z.string(),
  /** still signing deliveries (next to the current one) until previous_valid_until */
  previous_secret: z.string().nullable(),
  previous_valid_until: z.string().nullable(),
  rotated_at: z.string().nullable(),
});
export type WebhookSecret = z.infer<typeof webhookSecretSchema>;

export const crmTestResultSchema = z.object({
  delivery_id: z.string(),
  success: z.boolean(),
  status_code: z.number().int().nullable(),
  duration_ms: z.number().int(),
  /** the first 1 KB of the receiver's answer */
  response_body: z.string().nullable(),
  error: z.string().nullable(),
});
export type CrmTestResult = z.infer<typeof crmTestResultSchema>;

export const crmAttemptSchema = z.object({
  attempted_at: z.string(),
  status_code: z.number().int().nullable(),
  duration_ms: z.number().int(),
  error: z.string().nullable(),
  response_excerpt: z.string().nullable(),
});

export const crmDeliverySchema = z.object({
  id: z.string(),
  event_type: z.string(),
  status: z.enum(CRM_DELIVERY_STATUSES),
  conversation_id: z.string().nullable(),
  sequence: z.number().int().nullable(),
  attempt_count: z.number().int(),
  next_attempt_at: z.string().nullable(),
  last_attempt_at: z.string().nullable(),
  last_status_code: z.number().int().nullable(),
  last_error: z.string().nullable(),
  succeeded_at: z.string().nullable(),
  created_at: z.string(),
  payload: z.record(z.string(), z.unknown()),
  attempts: z.array(crmAttemptSchema),
});
export type CrmDelivery = z.infer<typeof crmDeliverySchema>;
export const crmDeliveryListSchema = z.object({ deliveries: z.array(crmDeliverySchema), next_cursor: z.string().nullable() });

/** How many deliveries or raw events were put back in the queue. */
export const requeuedSchema = z.object({ requeued: z.number().int() });

export const WEBHOOK_EVENT_STATUSES = ['received', 'processed', 'failed', 'invalid', 'unrouted', 'unhandled'] as const;
export type WebhookEventStatus = (typeof WEBHOOK_EVENT_STATUSES)[number];

/**
 * What became of one item of a raw event (an `entry[].messaging[]` / `standby[]` / `changes[]` item, or an entry):
 * `applied`; `waiting` for a message Threadline has not received (§3.7), or `applied_later` once it came;
 * `ignored` with why (`not_supported`: Meta sent something Threadline does not handle; `malformed`: the item is
 * broken); `unrouted` (an account nobody has linked); `not_processed` (the event was not processed, or was processed
 * before outcomes were recorded).
 */
export const WEBHOOK_ITEM_OUTCOMES = ['applied', 'waiting', 'applied_later', 'ignored', 'unrouted', 'not_processed'] as const;
export const webhookItemSchema = z.object({
  /** where the item is in the body, e.g. `entry[0].messaging[2]` */
  path: z.string(),
  /** message, message_deleted, message_edit, reaction, read, postback, referral; a change's field; unknown; entry */
  type: z.string(),
  mid: z.string().nullable(),
  outcome: z.enum(WEBHOOK_ITEM_OUTCOMES),
  code: z.enum(['not_supported', 'malformed']).nullable(),
  reason: z.string().nullable(),
});
export type WebhookItem = z.infer<typeof webhookItemSchema>;

export const webhookEventSchema = z.object({
  id: z.number(),
  received_at: z.string(),
  status: z.enum(WEBHOOK_EVENT_STATUSES),
  account_ig_ids: z.array(z.string()),
  event_count: z.number().nullable(),
  attempts: z.number(),
  last_error: z.string().nullable(),
  processed_at: z.string().nullable(),
  size_bytes: z.number(),
  /** How many of its items were applied (also later, when their message came), still wait, were ignored, unrouted; null until processed. */
  items: z.object({ applied: z.number(), waiting: z.number(), ignored: z.number(), unrouted: z.number() }).nullable(),
});
export type WebhookEvent = z.infer<typeof webhookEventSchema>;
export const webhookEventListSchema = z.object({ events: z.array(webhookEventSchema), next_before: z.number().nullable() });
/** `GET /api/v1/admin/webhook-events/{id}`: the raw body as Meta sent it, and what became of each item. */
export const webhookEventDetailSchema = z.object({
  id: z.number(),
  status: z.enum(WEBHOOK_EVENT_STATUSES),
  body: z.string(),
  items: z.array(webhookItemSchema),
});
export type WebhookEventDetail = z.infer<typeof webhookEventDetailSchema>;

/** `PATCH /api/v1/accounts/:id`: an http(s) URL to forward events to, or null to stop forwarding. */
export const patchAccountCrmRequestSchema = z.strictObject({
  crm_webhook_url: z.string().trim().min(1).max(2048).nullable(),
});

const isoDateParam = z.iso.datetime({ offset: true }).transform((v) => new Date(v));

/** `GET /api/v1/accounts/:id/crm/deliveries`: the delivery log, filtered, newest first. */
export const crmDeliveriesQuerySchema = z.strictObject({
  status: z.enum(CRM_DELIVERY_STATUSES).optional(),
  event_type: z.enum(CRM_EVENT_TYPES).optional(),
  since: isoDateParam.optional(),
  until: isoDateParam.optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** `POST /api/v1/accounts/:id/crm/recover`: deliver again everything since this time. */
export const crmRecoverRequestSchema = z.strictObject({ since: isoDateParam });

/** `GET /api/v1/admin/webhook-events`: Meta's raw events, newest first. */
export const webhookEventListQuerySchema = z.object({
  status: z.enum(WEBHOOK_EVENT_STATUSES).optional(),
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** `POST /api/v1/admin/webhook-events/reprocess`: put events back in the queue, by id, status or time. */
export const reprocessWebhookEventsRequestSchema = z
  .strictObject({
    ids: z.array(z.number().int().positive()).max(1000).optional(),
    status: z.enum(['failed', 'unrouted', 'invalid', 'unhandled', 'processed']).optional(),
    since: z.iso.datetime({ offset: true }).optional(),
  })
  .refine((b) => b.ids || b.status || b.since, 'give ids, a status or a since time');
