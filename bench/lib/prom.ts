// Reading Threadline's /metrics in a benchmark: a histogram's buckets before and after a run, and quantiles of what
// the run added (interpolated within a bucket, as Prometheus's histogram_quantile does).

/** Cumulative bucket counts by upper bound (`+Inf` as Infinity), with the sum and count, of one series. */
export type Histogram = { buckets: Map<number, number>; sum: number; count: number };

const num = (v: string) => (v === '+Inf' ? Number.POSITIVE_INFINITY : Number(v));

/** The histogram `name` (its series whose labels, apart from `le`, contain `labels`: `outcome="committed"`). */
export function readHistogram(text: string, name: string, labels = ''): Histogram {
  const h: Histogram = { buckets: new Map(), sum: 0, count: 0 };
  for (const line of text.split('\n')) {
    const m = /^(\w+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || !m[1]?.startsWith(name)) continue;
    const [, series = '', labelText = '', value = '0'] = m;
    if (labels && !labelText.includes(labels)) continue;
    if (series === `${name}_bucket`) {
      const le = /le="([^"]+)"/.exec(labelText)?.[1];
      if (le !== undefined) h.buckets.set(num(le), (h.buckets.get(num(le)) ?? 0) + Number(value));
    } else if (series === `${name}_sum`) h.sum += Number(value);
    else if (series === `${name}_count`) h.count += Number(value);
  }
  return h;
}

/** What was observed between two readings of the same histogram. */
export function histogramDelta(before: Histogram, after: Histogram): Histogram {
  const buckets = new Map([...after.buckets].map(([le, n]) => [le, n - (before.buckets.get(le) ?? 0)]));
  return { buckets, sum: after.sum - before.sum, count: after.count - before.count };
}

/** The q-quantile (0–1), linear within its bucket; the largest finite bound when it falls in +Inf; NaN when empty. */
export function histogramQuantile(h: Histogram, q: number): number {
  if (h.count <= 0) return Number.NaN;
  const rank = q * h.count;
  let lower = 0;
  let below = 0;
  for (const [le, cumulative] of [...h.buckets].sort(([a], [b]) => a - b)) {
    if (cumulative >= rank) {
      if (!Number.isFinite(le)) return lower;
      const inBucket = cumulative - below;
      return inBucket <= 0 ? le : lower + ((le - lower) * (rank - below)) / inBucket;
    }
    lower = Number.isFinite(le) ? le : lower;
    below = cumulative;
  }
  return lower;
}
