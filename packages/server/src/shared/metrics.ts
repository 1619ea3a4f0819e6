import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics through prom-client: one registry per app (tests build many), plus the process's own
 * metrics (CPU, memory, event-loop lag, GC) collected once per process. Each process exposes its numbers on
 * /metrics; a scraper sums counters across processes. Gauges read from the database (backlogs, horizons) are
 * the same in every process: take their max, not their sum.
 */
export { Counter, Gauge, Histogram };

let processRegistry: Registry | null = null;

/** Default metrics are collected once per process: each call of collectDefaultMetrics adds observers of its own. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix: 'threadline_' });
  }
  return processRegistry;
}

export function createMetricsRegistry() {
  const registry = new Registry();
  const existing = <T>(name: string, kind: new (...args: never[]) => T): T | undefined => {
    const metric = registry.getSingleMetric(name);
    return metric instanceof kind ? metric : undefined;
  };
  return {
    registry,
    counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
      return existing(name, Counter) ?? new Counter({ name, help, labelNames, registers: [registry] });
    },
    histogram(name: string, help: string, labelNames: readonly string[], buckets: number[]): Histogram {
      return existing(name, Histogram) ?? new Histogram({ name, help, labelNames, buckets, registers: [registry] });
    },
    /** A gauge whose value is read when scraped (`collect` sets it). */
    gauge(name: string, help: string, labelNames: readonly string[], collect: (gauge: Gauge) => Promise<void> | void): Gauge {
      return (
        existing(name, Gauge) ??
        new Gauge({
          name,
          help,
          labelNames,
          registers: [registry],
          async collect() {
            await collect(this);
          },
        })
      );
    },
    contentType: registry.contentType,
    /** The text exposition of this app's metrics and the process's. */
    async render(): Promise<string> {
      return Registry.merge([processMetrics(), registry]).metrics();
    },
  };
}
export type MetricsRegistry = ReturnType<typeof createMetricsRegistry>;
