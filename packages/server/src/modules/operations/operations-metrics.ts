import fp from 'fastify-plugin';
import type { MetricsRegistry } from '../../shared/metrics.ts';
import type { OperationsRepository } from './operations.repository.ts';

const HTTP_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The operator's gauges, read from the database when Prometheus scrapes: webhook backlog and lag, CRM pending and
 * failing per endpoint, the send queue and Meta's throttling, each account's token expiry horizon. Every process
 * reports the same values (they are the database's): aggregate them with max(), not sum().
 */
export function registerOperationsGauges(metrics: MetricsRegistry, repo: OperationsRepository): void {
  // One database read per scrape serves every gauge of the same family.
  const cached = <T>(read: () => Promise<T>) => {
    let pending: Promise<T> | null = null;
    return () => {
      pending ??= read().finally(() => setTimeout(() => (pending = null), 1_000).unref());
      return pending;
    };
  };
  const backlog = cached(() => repo.webhookBacklog());
  const crm = cached(() => repo.crmEndpoints());
  const sends = cached(() => repo.sendQueue());
  const accounts = cached(() => repo.accounts());

  metrics.gauge('threadline_webhook_backlog_events', 'Stored Meta webhook POSTs not yet processed.', [], async (g) => {
    g.set((await backlog()).pending);
  });
  metrics.gauge('threadline_webhook_lag_seconds', 'Age of the oldest unprocessed webhook POST (0 when none waits).', [], async (g) => {
    g.set((await backlog()).oldestSeconds);
  });
  metrics.gauge('threadline_webhook_failed_last_day_events', 'Webhook POSTs that failed processing in the last 24 hours.', [], async (g) => {
    g.set((await backlog()).failedLastDay);
  });
  metrics.gauge('threadline_crm_pending_deliveries', 'CRM deliveries waiting, per endpoint (account).', ['account'], async (g) => {
    g.reset();
    for (const e of await crm()) g.set({ account: e.account }, e.pending);
  });
  metrics.gauge('threadline_crm_oldest_pending_seconds', 'Age of the oldest waiting CRM delivery, per endpoint.', ['account'], async (g) => {
    g.reset();
    for (const e of await crm()) g.set({ account: e.account }, e.oldestPendingSeconds);
  });
  metrics.gauge('threadline_crm_endpoint_failing_seconds', 'How long every delivery to the endpoint has failed (0: healthy).', ['account'], async (g) => {
    g.reset();
    for (const e of await crm()) g.set({ account: e.account }, e.failingSeconds ?? 0);
  });
  metrics.gauge('threadline_crm_endpoint_disabled', '1 when the endpoint was disabled after failing too long or answering 410.', ['account'], async (g) => {
    g.reset();
    for (const e of await crm()) g.set({ account: e.account }, e.disabled ? 1 : 0);
  });
  metrics.gauge('threadline_send_queue_messages', 'Outbound messages by state: queued, sending, unknown (awaiting reconciliation).', ['state'], async (g) => {
    const q = await sends();
    g.set({ state: 'queued' }, q.queued);
    g.set({ state: 'sending' }, q.sending);
    g.set({ state: 'unknown' }, q.unknown);
  });
  metrics.gauge('threadline_send_paused_accounts', 'Accounts whose sends are paused because Meta throttled them.', [], async (g) => {
    g.set((await sends()).pausedAccounts);
  });
  metrics.gauge('threadline_account_token_expiry_seconds', 'Seconds until each active account\'s Instagram token expires.', ['account'], async (g) => {
    g.reset();
    for (const a of await accounts()) {
      if (a.status === 'active' && a.tokenExpiresInSeconds !== null) g.set({ account: a.username }, a.tokenExpiresInSeconds);
    }
  });
  metrics.gauge('threadline_accounts', 'Linked Instagram accounts by status.', ['status'], async (g) => {
    g.reset();
    const counts = new Map<string, number>();
    for (const a of await accounts()) counts.set(a.status, (counts.get(a.status) ?? 0) + 1);
    for (const [status, n] of counts) g.set({ status }, n);
  });
}

/** Request counts and durations by route (the route's pattern, never the raw URL) and status code. */
export const httpMetricsPlugin = fp<{ metrics: MetricsRegistry }>(
  async (app, opts) => {
    const duration = opts.metrics.histogram(
      'threadline_http_request_duration_seconds',
      'HTTP requests by method, route pattern and status code.',
      ['method', 'route', 'status_code'],
      HTTP_BUCKETS_SECONDS,
    );
    app.addHook('onResponse', async (req, reply) => {
      const route = req.routeOptions.url ?? 'unmatched';
      duration.observe({ method: req.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
    });
  },
  { name: 'threadline-http-metrics' },
);
