import { z } from 'zod';

/**
 * Answers of server routes whose shapes live in the server (crm.schemas.ts, webhooks.routes.ts), not yet in the
 * contract package. Only the fields the web app shows; unknown fields are dropped by zod.
 */
export const okSchema = z.object({ ok: z.boolean() });

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
  previous_secret: z.string().nullable(),
  previous_valid_until: z.string().nullable(),
  rotated_at: z.string().nullable(),
});
export type WebhookSecret = z.infer<typeof webhookSecretSchema>;

export const crmTestResultSchema = z.object({
  delivery_id: z.string(),
  success: z.boolean(),
  status_code: z.number().nullable(),
  duration_ms: z.number(),
  response_body: z.string().nullable(),
  error: z.string().nullable(),
});
export type CrmTestResult = z.infer<typeof crmTestResultSchema>;

export const deliverySchema = z.object({
  id: z.string(),
  event_type: z.string(),
  status: z.string(),
  conversation_id: z.string().nullable(),
  attempt_count: z.number(),
  next_attempt_at: z.string().nullable(),
  last_attempt_at: z.string().nullable(),
  last_status_code: z.number().nullable(),
  last_error: z.string().nullable(),
  succeeded_at: z.string().nullable(),
  created_at: z.string(),
});
export type Delivery = z.infer<typeof deliverySchema>;
export const deliveryListSchema = z.object({ deliveries: z.array(deliverySchema), next_cursor: z.string().nullable() });
export const recoverResultSchema = z.object({ requeued: z.number() });

export const webhookEventSchema = z.object({
  id: z.number(),
  received_at: z.string(),
  status: z.string(),
  account_ig_ids: z.array(z.string()),
  event_count: z.number().nullable(),
  attempts: z.number(),
  last_error: z.string().nullable(),
  processed_at: z.string().nullable(),
  size_bytes: z.number(),
});
export type WebhookEvent = z.infer<typeof webhookEventSchema>;
export const webhookEventListSchema = z.object({ events: z.array(webhookEventSchema), next_before: z.number().nullable() });
export const requeuedSchema = z.object({ requeued: z.number() });

export const uploadSchema = z.object({ upload_id: z.string(), type: z.enum(['image', 'video', 'audio', 'file']), content_type: z.string(), size_bytes: z.number(), url: z.string() });
