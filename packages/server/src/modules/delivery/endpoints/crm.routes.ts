import { routes } from '@threadline/contract';
import { route } from '../../../http/route.ts';
import type { App } from '../../../http/server.ts';
import type { AccountAccess } from '../../accounts/account-access.ts';
import { requireSession } from '../../auth/auth.plugin.ts';
import type { AccountRow, AttemptRow } from '../dispatch/crm.repository.ts';
import type { CrmService, DeliveryWithAttempts } from './crm.service.ts';

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function presentAccountCrm(row: AccountRow) {
  return {
    id: row.id,
    username: row.username,
    crm: {
      webhook_url: row.crmWebhookUrl,
      enabled: row.crmWebhookUrl !== null && row.crmDisabledAt === null,
      disabled_at: iso(row.crmDisabledAt),
      disabled_reason: row.crmDisabledReason,
      failing_since: iso(row.crmFailingSince),
      has_secret: row.webhookSecret !== null,
      secret_rotated_at: iso(row.webhookSecretRotatedAt),
    },
  };
}

function presentAttempt(a: AttemptRow) {
  return {
    attempted_at: a.attemptedAt.toISOString(),
    status_code: a.statusCode,
    duration_ms: a.durationMs,
    error: a.error,
    response_excerpt: a.responseExcerpt,
  };
}

export function presentDelivery(d: DeliveryWithAttempts) {
  return {
    id: d.id,
    event_type: d.eventType,
    status: d.status,
    conversation_id: d.conversationId,
    sequence: d.sequence,
    attempt_count: d.attemptCount,
    next_attempt_at: d.status === 'pending' ? iso(d.nextAttemptAt) : null,
    last_attempt_at: iso(d.lastAttemptAt),
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    succeeded_at: iso(d.succeededAt),
    created_at: d.createdAt.toISOString(),
    payload: d.payload,
    attempts: d.attempts.map(presentAttempt),
  };
}

/** CRM settings (owner or admin), the webhook secret, a test ping, and the delivery log with retry and recovery. */
export async function crmRoutes(app: App, opts: { crm: CrmService; access: AccountAccess }) {
  const { crm, access } = opts;
  const admin = async (userId: string, accountId: string) => access.requireRole(userId, accountId, 'admin');
  const r = routes.crm;

  route(app, r.get, async (req) => {
    await admin(requireSession(req).userId, req.params.id);
    return presentAccountCrm(await crm.account(req.params.id));
  });

  route(app, r.setUrl, async (req) => {
    const auth = requireSession(req);
    await admin(auth.userId, req.params.id);
    return presentAccountCrm(await crm.setWebhookUrl(req.params.id, req.body.crm_webhook_url, auth.userId));
  });

  route(app, r.secret, async (req) => {
    await admin(requireSession(req).userId, req.params.id);
    return crm.secretView(await crm.account(req.params.id));
  });

  route(app, r.rotateSecret, async (req) => {
    const auth = requireSession(req);
    await admin(auth.userId, req.params.id);
    return crm.secretView(await crm.rotateSecret(req.params.id, auth.userId));
  });

  route(app, r.test, async (req) => {
    await admin(requireSession(req).userId, req.params.id);
    const result = await crm.sendTest(req.params.id);
    return {
      delivery_id: result.delivery_id,
      success: result.verdict === 'success',
      status_code: result.statusCode,
      duration_ms: result.durationMs,
      response_body: result.responseExcerpt,
      error: result.error,
    };
  });

  route(app, r.deliveries, async (req) => {
    await admin(requireSession(req).userId, req.params.id);
    const q = req.query;
    const page = await crm.listDeliveries(req.params.id, {
      ...(q.status ? { status: q.status } : {}),
      ...(q.event_type ? { eventType: q.event_type } : {}),
      ...(q.since ? { since: q.since } : {}),
      ...(q.until ? { until: q.until } : {}),
      ...(q.cursor ? { cursor: q.cursor } : {}),
      limit: q.limit,
    });
    return { deliveries: page.deliveries.map(presentDelivery), next_cursor: page.nextCursor };
  });

  route(app, r.retry, async (req) => {
    const auth = requireSession(req);
    await admin(auth.userId, req.params.id);
    const row = await crm.retry(req.params.id, req.params.deliveryId, auth.userId);
    return presentDelivery({ ...row, attempts: [] });
  });

  route(app, r.recover, async (req) => {
    const auth = requireSession(req);
    await admin(auth.userId, req.params.id);
    return { requeued: await crm.recover(req.params.id, req.body.since, auth.userId) };
  });
}
