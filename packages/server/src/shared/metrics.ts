/**
 * A small in-process metrics registry with Prometheus text exposition: counters with labels and latency
 * histograms. Each process exposes its own numbers on /metrics; a scraper sums them across processes.
 */
type Labels = Record<string, string>;

const key = (labels: Labels) =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}="${String(labels[k]).replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`)
    .join(',');

export class Counter {
  readonly name: string;
  readonly help: string;
  private readonly values = new Map<string, number>();
  constructor(name: string, help: string) {
    this.name = name;
    this.help = help;
  }
  inc(labels: Labels = {}, by = 1): void {
    const k = key(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  get(labels: Labels = {}): number {
    return this.values.get(key(labels)) ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [k, v] of this.values) lines.push(`${this.name}${k ? `{${k}}` : ''} ${v}`);
    return lines.join('\n');
  }
}

export class Histogram {
  readonly name: string;
  readonly help: string;
  private readonly buckets: number[];
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(name: string, help: string, buckets = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 15000]) {
    this.name = name;
    this.help = help;
    this.buckets = buckets;
  }
  observe(value: number, labels: Labels = {}): void {
    const k = key(labels);
    const s = this.series.get(k) ?? { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
    this.buckets.forEach((b, i) => {
      if (value <= b) s.counts[i] = (s.counts[i] ?? 0) + 1;
    });
    s.sum += value;
    s.count += 1;
    this.series.set(k, s);
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [k, s] of this.series) {
      const sep = k ? `${k},` : '';
      this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket{${sep}le="${b}"} ${s.counts[i] ?? 0}`));
      lines.push(`${this.name}_bucket{${sep}le="+Inf"} ${s.count}`);
      lines.push(`${this.name}_sum${k ? `{${k}}` : ''} ${s.sum}`);
      lines.push(`${this.name}_count${k ? `{${k}}` : ''} ${s.count}`);
    }
    return lines.join('\n');
  }
}

export type Metric = Counter | Histogram;

export function createMetricsRegistry() {
  const metrics = new Map<string, Metric>();
  return {
    counter(name: string, help: string): Counter {
      const existing = metrics.get(name);
      if (existing instanceof Counter) return existing;
      const c = new Counter(name, help);
      metrics.set(name, c);
      return c;
    },
    histogram(name: string, help: string, buckets?: number[]): Histogram {
      const existing = metrics.get(name);
      if (existing instanceof Histogram) return existing;
      const h = new Histogram(name, help, buckets);
      metrics.set(name, h);
      return h;
    },
    render(): string {
      return `${[...metrics.values()].map((m) => m.render()).join('\n')}\n`;
    },
  };
}
export type MetricsRegistry = ReturnType<typeof createMetricsRegistry>;
