import { routes } from '@threadline/contract';
import type { FastifyRequest } from 'fastify';
import { route } from '../../http/route.ts';
import type { App } from '../../http/server.ts';
import type { WaitingEventsRepository } from './waiting-events.repository.ts';
import { describeItems } from './webhook-event-items.ts';
import type { WebhookEventsRepository } from '../intake/webhook-events.repository.ts';
import { webhookErrors } from './webhooks.errors.ts';

export type WebhookAdminRoutesOptions = {
  repo: WebhookEventsRepository;
  waiting: WaitingEventsRepository;
  requireAdmin: (req: FastifyRequest) => unknown;
  onRequeued: () => void;
};

/**
 * Instance administrators see Meta's raw events, what became of each of their items (applied, waiting for a
 * message, ignored and why), and put events back in the queue.
 */
export async function webhookAdminRoutes(app: App, opts: WebhookAdminRoutesOptions) {
  route(app, routes.webhookAdmin.list, async (req) => {
    opts.requireAdmin(req);
    const rows = await opts.repo.list({ status: req.query.status, before: req.query.before, limit: req.query.limit });
    const stillWaiting = await opts.waiting.stillWaiting(rows.filter((r) => (r.itemOutcomes?.waiting ?? 0) > 0).map((r) => r.id));
    const events = rows.map((r) => {
      const o = r.itemOutcomes;
      const waiting = Math.min(stillWaiting.get(r.id) ?? 0, o?.waiting ?? 0);
      return {
        id: r.id,
        received_at: r.receivedAt.toISOString(),
        status: r.status,
        account_ig_ids: r.accountIgIds ?? [],
        event_count: r.eventCount,
        attempts: r.attempts,
        last_error: r.lastError,
        processed_at: r.processedAt?.toISOString() ?? null,
        size_bytes: Number(r.sizeBytes),
        // an item that waited and has since been applied counts as applied
        items: o ? { applied: o.applied + o.waiting - waiting, waiting, ignored: o.ignored.length, unrouted: o.unrouted.length } : null,
      };
    });
    const last = events.at(-1);
    return { events, next_before: events.length === req.query.limit && last ? last.id : null };
  });

  route(app, routes.webhookAdmin.get, async (req) => {
    opts.requireAdmin(req);
    const row = await opts.repo.getOne(req.params.id);
    if (!row) throw webhookErrors.eventNotFound();
    const waiting = await opts.waiting.ofWebhookEvents([row.id]);
    return { id: row.id, status: row.status, body: row.body.toString('utf8'), items: describeItems(row.body, row.itemOutcomes, waiting) };
  });

  route(app, routes.webhookAdmin.reprocess, async (req) => {
    opts.requireAdmin(req);
    const requeued = await opts.repo.requeue({
      ids: req.body.ids,
      statuses: req.body.status ? [req.body.status] : undefined,
      since: req.body.since ? new Date(req.body.since) : undefined,
    });
    opts.onRequeued();
    return { requeued };
  });
}
