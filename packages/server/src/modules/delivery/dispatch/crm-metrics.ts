import { createMetricsRegistry, type MetricsRegistry } from '../../../shared/metrics.ts';

/**
 * Counters and latency histograms of CRM delivery, per process (Prometheus sums them across processes), in the
 * app's prom-client registry. What is pending or failing per endpoint is read from the database when scraped
 * (modules/operations/operations-metrics.ts).
 */

export type AttemptOutcome = 'success' | 'http_error' | 'timeout' | 'network_error' | 'refused';

const DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30];
const LAG_BUCKETS_SECONDS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 30, 60, 300, 3600, 86_400];

export type CrmMetricsSnapshot = {
  recorded: Record<string, number>;
  attempts: Record<string, number>;
  deliveriesSucceeded: number;
  deliveriesFailed: number;
  endpointsDisabled: Record<string, number>;
  attemptDurationSeconds: { count: number; sum: number };
  deliveryLagSeconds: { count: number; sum: number };
};

export type CrmMetrics = {
  recorded(eventType: string): void;
  attempt(outcome: AttemptOutcome, durationMs: number): void;
  /** A delivery reached its final state; `lagMs` is the time from the event being recorded to success. */
  delivered(lagMs: number): void;
  givenUp(): void;
  endpointDisabled(reason: 'gone' | 'failing'): void;
  snapshot(): Promise<CrmMetricsSnapshot>;
};

type MetricValues = { values: { value: number; labels: Partial<Record<string, string | number>>; metricName?: string }[] };

const byLabel = (m: MetricValues, label: string) =>
  Object.fromEntries(m.values.filter((v) => v.labels[label] !== undefined).map((v) => [String(v.labels[label]), v.value]));
const total = (m: MetricValues) => m.values.reduce((sum, v) => sum + v.value, 0);
const countAndSum = (m: MetricValues, name: string) => ({
  count: m.values.find((v) => v.metricName === `${name}_count`)?.value ?? 0,
  sum: m.values.find((v) => v.metricName === `${name}_sum`)?.value ?? 0,
});

export function createCrmMetrics(registry: MetricsRegistry = createMetricsRegistry()): CrmMetrics {
  const recorded = registry.counter('threadline_crm_events_recorded_total', 'CRM events written to the outbox.', ['type']);
  const attempts = registry.counter('threadline_crm_attempts_total', 'CRM delivery attempts by outcome.', ['outcome']);
  const succeeded = registry.counter('threadline_crm_deliveries_succeeded_total', 'CRM deliveries the receiver accepted.');
  const failed = registry.counter('threadline_crm_deliveries_failed_total', 'CRM deliveries given up after the last retry.');
  const disabled = registry.counter('threadline_crm_endpoints_disabled_total', 'CRM endpoints disabled, by reason.', ['reason']);
  const duration = registry.histogram('threadline_crm_attempt_duration_seconds', 'Duration of one CRM delivery attempt.', [], DURATION_BUCKETS_SECONDS);
  const lag = registry.histogram('threadline_crm_delivery_lag_seconds', 'From recording an event to its successful delivery.', [], LAG_BUCKETS_SECONDS);

  return {
    recorded: (eventType) => recorded.inc({ type: eventType }),
    attempt(outcome, durationMs) {
      attempts.inc({ outcome });
      duration.observe(durationMs / 1000);
    },
    delivered(lagMs) {
      succeeded.inc();
      lag.observe(Math.max(0, lagMs) / 1000);
    },
    givenUp: () => failed.inc(),
    endpointDisabled: (reason) => disabled.inc({ reason }),
    async snapshot() {
      return {
        recorded: byLabel(await recorded.get(), 'type'),
        attempts: byLabel(await attempts.get(), 'outcome'),
        deliveriesSucceeded: total(await succeeded.get()),
        deliveriesFailed: total(await failed.get()),
        endpointsDisabled: byLabel(await disabled.get(), 'reason'),
        attemptDurationSeconds: countAndSum(await duration.get(), 'threadline_crm_attempt_duration_seconds'),
        deliveryLagSeconds: countAndSum(await lag.get(), 'threadline_crm_delivery_lag_seconds'),
      };
    },
  };
}
