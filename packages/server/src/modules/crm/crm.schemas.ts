import { z } from 'zod';
import { CRM_EVENT_TYPES } from '@threadline/contract';
import { CRM_DELIVERY_STATUSES } from './crm-outbox.repository.ts';

/** Request shapes of the CRM settings and delivery-log routes; their answers are the contract's. */

export const accountParams = z.object({ id: z.uuid() });
export const deliveryParams = accountParams.extend({ deliveryId: z.string().min(1).max(64) });

export const patchAccountBody = z.strictObject({
  /** an http(s) URL, or null to stop forwarding */
  crm_webhook_url: z.string().trim().min(1).max(2048).nullable(),
});

// The response shapes are the contract's (the web app parses the same ones).
export {
  accountCrmSchema,
  crmAttemptSchema as attemptSchema,
  crmDeliveryListSchema as deliveryListSchema,
  crmDeliverySchema as deliverySchema,
  crmStatusSchema,
  crmTestResultSchema as testResultSchema,
  requeuedSchema as recoverResultSchema,
  webhookSecretSchema,
} from '@threadline/contract';

const isoDateParam = z.iso.datetime({ offset: true }).transform((v) => new Date(v));

export const listDeliveriesQuery = z.strictObject({
  status: z.enum(CRM_DELIVERY_STATUSES).optional(),
  event_type: z.enum(CRM_EVENT_TYPES).optional(),
  since: isoDateParam.optional(),
  until: isoDateParam.optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const recoverBody = z.strictObject({ since: isoDateParam });
