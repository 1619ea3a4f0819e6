import {
  accountCrmSchema,
  crmDeliveriesQuerySchema,
  crmDeliveryListSchema,
  crmDeliverySchema,
  crmRecoverRequestSchema,
  crmTestResultSchema,
  patchAccountCrmRequestSchema,
  reprocessWebhookEventsRequestSchema,
  requeuedSchema,
  webhookEventDetailSchema,
  webhookEventListQuerySchema,
  webhookEventListSchema,
  webhookSecretSchema,
} from '../crm-settings.ts';
import { defineRoute } from './define.ts';
import { accountParams, deliveryParams, webhookEventParams } from './params.ts';

const tag = 'CRM';

/** CRM settings (owner or admin), the webhook secret, a test ping, and the delivery log with retry and recovery. */
export const crmRoutes = {
  get: defineRoute({
    method: 'GET', path: '/api/v1/accounts/:id/crm', tag, auth: 'session', role: 'account:admin',
    summary: 'The account’s CRM forwarding: URL, state, secret rotation', params: accountParams, response: { 200: accountCrmSchema },
  }),
  setUrl: defineRoute({
    method: 'PATCH', path: '/api/v1/accounts/:id', tag, auth: 'session', role: 'account:admin',
    summary: 'Set or clear the URL events are forwarded to', params: accountParams, body: patchAccountCrmRequestSchema,
    response: { 200: accountCrmSchema },
  }),
  secret: defineRoute({
    method: 'GET', path: '/api/v1/accounts/:id/webhook-secret', tag, auth: 'session', role: 'account:admin',
    summary: 'The secret forwarded events are signed with', params: accountParams, response: { 200: webhookSecretSchema },
  }),
  rotateSecret: defineRoute({
    method: 'POST', path: '/api/v1/accounts/:id/webhook-secret/rotate', tag, auth: 'session', role: 'account:admin',
    summary: 'Rotate the signing secret (the previous one keeps signing for a while)', params: accountParams,
    response: { 200: webhookSecretSchema },
  }),
  test: defineRoute({
    method: 'POST', path: '/api/v1/accounts/:id/crm/test', tag, auth: 'session', role: 'account:admin',
    summary: 'Send a signed test event to the CRM now', params: accountParams, response: { 200: crmTestResultSchema },
  }),
  deliveries: defineRoute({
    method: 'GET', path: '/api/v1/accounts/:id/crm/deliveries', tag, auth: 'session', role: 'account:admin',
    summary: 'The delivery log, newest first', params: accountParams, query: crmDeliveriesQuerySchema,
    response: { 200: crmDeliveryListSchema },
  }),
  retry: defineRoute({
    method: 'POST', path: '/api/v1/accounts/:id/crm/deliveries/:deliveryId/retry', tag, auth: 'session', role: 'account:admin',
    summary: 'Deliver one event again', params: deliveryParams, response: { 200: crmDeliverySchema },
  }),
  recover: defineRoute({
    method: 'POST', path: '/api/v1/accounts/:id/crm/recover', tag, auth: 'session', role: 'account:admin',
    summary: 'Deliver again every event since a time', params: accountParams, body: crmRecoverRequestSchema,
    response: { 200: requeuedSchema },
  }),
} as const;

/** Instance administrators: Meta's raw webhook events, what became of each item, and putting events back in the queue. */
export const webhookAdminRoutes = {
  list: defineRoute({
    method: 'GET', path: '/api/v1/admin/webhook-events', tag: 'Administration', auth: 'session', role: 'admin',
    summary: 'Meta’s raw webhook events, newest first', query: webhookEventListQuerySchema, response: { 200: webhookEventListSchema },
  }),
  get: defineRoute({
    method: 'GET', path: '/api/v1/admin/webhook-events/:id', tag: 'Administration', auth: 'session', role: 'admin',
    summary: 'One webhook event, with what became of each of its items', params: webhookEventParams,
    response: { 200: webhookEventDetailSchema },
  }),
  reprocess: defineRoute({
    method: 'POST', path: '/api/v1/admin/webhook-events/reprocess', tag: 'Administration', auth: 'session', role: 'admin',
    summary: 'Put webhook events back in the queue', body: reprocessWebhookEventsRequestSchema, response: { 200: requeuedSchema },
  }),
} as const;
