/**
 * Counters and latency histograms of CRM delivery, per process (Prometheus sums them across processes).
 * A few dozen lines instead of a metrics library: the lead exposes `prometheusText()` on /metrics.
 */

export type AttemptOutcome = 'success' | 'http_error' | 'timeout' | 'network_error' | 'refused';

const DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30];
const LAG_BUCKETS_SECONDS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 30, 60, 300, 3600, 86_400];

type Histogram = { buckets: number[]; counts: number[]; sum: number; count: number };

function histogram(buckets: number[]): Histogram {
  return { buckets, counts: buckets.map(() => 0), sum: 0, count: 0 };
}

function observe(h: Histogram, value: number): void {
  h.sum += value;
  h.count += 1;
  for (const [i, bound] of h.buckets.entries()) {
    if (value <= bound) h.counts[i] = (h.counts[i] ?? 0) + 1;
  }
}

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
  snapshot(): CrmMetricsSnapshot;
  prometheusText(): string;
};

export function createCrmMetrics(): CrmMetrics {
  const recorded = new Map<string, number>();
  const attempts = new Map<string, number>();
  const disabled = new Map<string, number>();
  let succeeded = 0;
  let failed = 0;
  const duration = histogram(DURATION_BUCKETS_SECONDS);
  const lag = histogram(LAG_BUCKETS_SECONDS);
  const bump = (m: Map<string, number>, key: string) => m.set(key, (m.get(key) ?? 0) + 1);

  function histogramLines(name: string, help: string, h: Histogram): string[] {
    const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
    for (const [i, bound] of h.buckets.entries()) lines.push(`${name}_bucket{le="${bound}"} ${h.counts[i] ?? 0}`);
    lines.push(`${name}_bucket{le="+Inf"} ${h.count}`, `${name}_sum ${h.sum}`, `${name}_count ${h.count}`);
    return lines;
  }

  function counterLines(name: string, help: string, label: string, values: Map<string, number>): string[] {
    const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} counter`];
    for (const [key, value] of [...values.entries()].sort()) lines.push(`${name}{${label}="${key}"} ${value}`);
    return lines;
  }

  return {
    recorded: (eventType) => void bump(recorded, eventType),
    attempt(outcome, durationMs) {
      bump(attempts, outcome);
      observe(duration, durationMs / 1000);
    },
    delivered(lagMs) {
      succeeded += 1;
      observe(lag, Math.max(0, lagMs) / 1000);
    },
    givenUp: () => void (failed += 1),
    endpointDisabled: (reason) => void bump(disabled, reason),
    snapshot: () => ({
      recorded: Object.fromEntries(recorded),
      attempts: Object.fromEntries(attempts),
      deliveriesSucceeded: succeeded,
      deliveriesFailed: failed,
      endpointsDisabled: Object.fromEntries(disabled),
      attemptDurationSeconds: { count: duration.count, sum: duration.sum },
      deliveryLagSeconds: { count: lag.count, sum: lag.sum },
    }),
    prometheusText: () =>
      [
        ...counterLines('threadline_crm_events_recorded_total', 'CRM events written to the outbox.', 'type', recorded),
        ...counterLines('threadline_crm_attempts_total', 'CRM delivery attempts by outcome.', 'outcome', attempts),
        '# HELP threadline_crm_deliveries_succeeded_total CRM deliveries the receiver accepted.',
        '# TYPE threadline_crm_deliveries_succeeded_total counter',
        `threadline_crm_deliveries_succeeded_total ${succeeded}`,
        '# HELP threadline_crm_deliveries_failed_total CRM deliveries given up after the last retry.',
        '# TYPE threadline_crm_deliveries_failed_total counter',
        `threadline_crm_deliveries_failed_total ${failed}`,
        ...counterLines('threadline_crm_endpoints_disabled_total', 'CRM endpoints disabled, by reason.', 'reason', disabled),
        ...histogramLines('threadline_crm_attempt_duration_seconds', 'Duration of one CRM delivery attempt.', duration),
        ...histogramLines('threadline_crm_delivery_lag_seconds', 'From recording an event to its successful delivery.', lag),
      ].join('\n') + '\n',
  };
}
