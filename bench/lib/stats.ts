// Percentiles and the compact text table the benchmarks print.

/** Nearest-rank percentile of an ascending-sorted list; NaN when the list is empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** Milliseconds as a whole number, `?` when unknown. */
export const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : '?');

/** Latencies (sent → first arrival at `at`) of the markers acknowledged, sorted. */
export function latencies(sent: Map<string, number>, acked: Iterable<string>, at: Map<string, number>): number[] {
  const out: number[] = [];
  for (const m of acked) {
    const arrived = at.get(m);
    const from = sent.get(m);
    if (arrived !== undefined && from !== undefined) out.push(arrived - from);
  }
  return out.sort((a, b) => a - b);
}

/** The p99 latency of the events of `ids` by period of `periodMs` after `from` (when they were sent), in ms. */
export function p99ByPeriod(sent: Map<string, number>, ids: Iterable<string>, at: Map<string, number>, from: number, periodMs: number): string {
  const periods: number[][] = [];
  for (const m of ids) {
    const s = sent.get(m);
    const arrived = at.get(m);
    if (s === undefined || arrived === undefined || s < from) continue;
    (periods[Math.floor((s - from) / periodMs)] ??= []).push(arrived - s);
  }
  return Array.from(periods, (l) => ms(percentile((l ?? []).sort((a, b) => a - b), 99))).join(' ');
}

export function fmtMs(ms: number | null): string {
  if (ms === null || Number.isNaN(ms)) return '–';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return `${Math.round(ms)} ms`;
  return `${ms.toFixed(1)} ms`;
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Left-aligned first column, right-aligned others, a rule under the header. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
