import type { WriteTimings } from '../../shared/group-commit.ts';
import type { Counter, MetricsRegistry } from '../../shared/metrics.ts';

/** From a few milliseconds (a round under light load) to the acknowledgement timeout's order (a stalled database). */
const ROUND_BUCKETS_SECONDS = [0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const POSTS_BUCKETS = [1, 2, 4, 8, 16, 32, 64];

export type IntakeMetrics = {
  /** Meta's POSTs by outcome (`stored`, `unavailable`, `signature_…`, `not_configured`). */
  received: Counter;
  /** One store-and-apply round ended (shared/group-commit.ts `onWritten`). */
  written(write: WriteTimings): void;
};

/**
 * Where a POST's time goes before Meta's 200 (and before its CRM deliveries start): waiting for its round (the
 * gathering delay, WEBHOOK_GATHER_MS, and any round ahead of it), then the round itself (store, apply, commit).
 * Per process, like every counter and histogram (Prometheus sums them).
 */
export function createIntakeMetrics(metrics: MetricsRegistry): IntakeMetrics {
  const received = metrics.counter('threadline_webhooks_received_total', 'Meta webhook POSTs by outcome', ['outcome']);
  const waited = metrics.histogram(
    'threadline_webhook_round_wait_seconds',
    'From a verified Meta webhook POST to the start of the round that stores it (gathering delay and rounds ahead).',
    [],
    ROUND_BUCKETS_SECONDS,
  );
  const duration = metrics.histogram(
    'threadline_webhook_round_duration_seconds',
    'One round storing and applying Meta webhook POSTs, until its commit, by outcome.',
    ['outcome'],
    ROUND_BUCKETS_SECONDS,
  );
  const posts = metrics.histogram('threadline_webhook_round_posts', 'Meta webhook POSTs stored by one round.', [], POSTS_BUCKETS);
  return {
    received,
    written({ items, waitedMs, writeMs, ok }) {
      for (const ms of waitedMs) waited.observe(ms / 1000);
      duration.observe({ outcome: ok ? 'committed' : 'failed' }, writeMs / 1000);
      posts.observe(items);
    },
  };
}
