import { z } from 'zod';
import { CRM_EVENT_TYPES } from '@threadline/contract';
import { CRM_DELIVERY_STATUSES } from '../../db/schema/index.ts';

/** Request and response shapes of the CRM settings and delivery-log routes (explicit projections). */

export const accountParams = z.object({ id: z.uuid() });
export const deliveryParams = accountParams.extend({ deliveryId: z.string().min(1).max(64) });

export const patchAccountBody = z.strictObject({
  /** an http(s) URL, or null to stop forwarding */
  crm_webhook_url: z.string().trim().min(1).max(2048).nullable(),
});

export const crmStatusSchema = z.object({
  webhook_url: z.string().nullable(),
  enabled: z.boolean(),
  disabled_at: z.string().nullable(),
  disabled_reason: z.string().nullable(),
  failing_since: z.string().nullable(),
  has_secret: z.boolean(),
  secret_rotated_at: z.string().nullable(),
});
export const accountCrmSchema = z.object({ id: z.uuid(), username: z.string(), crm: crmStatusSchema });

export const webhookSecretSchema = z.object({
  secret: z.string(),
  /** still signing deliveries (next to the current one) until previous_valid_until */
  previous_secret: z.string().nullable(),
  previous_valid_until: z.string().nullable(),
  rotated_at: z.string().nullable(),
});

export const testResultSchema = z.object({
  delivery_id: z.string(),
  success: z.boolean(),
  status_code: z.number().int().nullable(),
  duration_ms: z.number().int(),
  /** the first 1 KB of the receiver's answer */
  response_body: z.string().nullable(),
  error: z.string().nullable(),
});

export const attemptSchema = z.object({
  attempted_at: z.string(),
  status_code: z.number().int().nullable(),
  duration_ms: z.number().int(),
  error: z.string().nullable(),
  response_excerpt: z.string().nullable(),
});

export const deliverySchema = z.object({
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
  attempts: z.array(attemptSchema),
});

const isoDateParam = z.iso.datetime({ offset: true }).transform((v) => new Date(v));

export const listDeliveriesQuery = z.strictObject({
  status: z.enum(CRM_DELIVERY_STATUSES).optional(),
  event_type: z.enum(CRM_EVENT_TYPES).optional(),
  since: isoDateParam.optional(),
  until: isoDateParam.optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export const deliveryListSchema = z.object({ deliveries: z.array(deliverySchema), next_cursor: z.string().nullable() });

export const recoverBody = z.strictObject({ since: isoDateParam });
export const recoverResultSchema = z.object({ requeued: z.number().int() });
