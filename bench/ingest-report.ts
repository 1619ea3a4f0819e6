// The ingestion benchmark's printed tables and target verdicts.
import { fmtInt, fmtMs, percentile, table } from './lib/stats.ts';
import type { ServerRun, StepRow } from './ingest-run.ts';

export const TARGETS = { ackRatio: 0.7, keepUpRate: 2000, keepUpDrainMs: 2000, lagRate: 1000, lagP99Ms: 1000 };

const failed = (s: StepRow) => Object.values(s.load.failures).reduce((a, b) => a + b, 0);
const cpu = (s: StepRow) => `${Math.round(s.cpu.server)}/${Math.round(s.cpu.postgres)}/${Math.round(s.cpu.bench)}/${Math.round(s.cpu.machine)}`;
const ackCols = (s: StepRow) => [
  fmtInt(s.load.offeredRate),
  fmtInt(s.load.posts / (s.load.events / s.load.offeredRate)),
  fmtInt(s.load.ackRate),
  fmtMs(percentile(s.load.latencies, 50)),
  fmtMs(percentile(s.load.latencies, 99)),
  fmtInt(s.load.shedPosts),
  fmtInt(failed(s)),
];

/** Message rows written per second, from the step's first POST to its last raw event processed. */
function processedRate(s: StepRow): string {
  const last = s.lag?.last_processed_ms;
  if (!s.lag || last == null || last <= s.load.startedAt) return '–';
  return fmtInt(s.lag.matched / ((last - s.load.startedAt) / 1000));
}

export function threadlineTable(run: ServerRun): string {
  return table(
    ['offered ev/s', 'POST/s', 'acked ev/s', 'ack p50', 'ack p99', 'shed', 'failed', 'backlog rows', 'drain', 'proc ev/s', 'lag p50', 'lag p99', 'msgs', 'CPU% srv/pg/bench/all'],
    run.steps.map((s) => [
      ...ackCols(s),
      s.backlogAtEnd === undefined ? '–' : fmtInt(s.backlogAtEnd),
      s.drainedLive === false ? `>${fmtMs(s.drainMs ?? null)}` : fmtMs(s.drainMs ?? null),
      processedRate(s),
      fmtMs(s.lag?.lag_p50 ?? null),
      fmtMs(s.lag?.lag_p99 ?? null),
      s.lag ? `${fmtInt(s.lag.matched)}/${fmtInt(s.lag.events)}` : '–',
      cpu(s),
    ]),
  );
}

export function referenceTable(run: ServerRun, threadline: ServerRun): string {
  return table(
    ['offered ev/s', 'POST/s', 'acked ev/s', 'ack p50', 'ack p99', 'shed', 'failed', 'Threadline/ref', 'CPU% srv/pg/bench/all'],
    run.steps.map((s, i) => {
      const tl = threadline.steps[i];
      return [...ackCols(s), tl ? (tl.load.ackRate / s.load.ackRate).toFixed(2) : '–', cpu(s)];
    }),
  );
}

export type Verdicts = {
  capacity: { threadline: number; reference: number; ratio: number; saturated: boolean };
  keepUp: { drainMs: number | null; backlog: number | null; pass: boolean } | null;
  lag: { p99: number | null; pass: boolean } | null;
};

export function verdicts(threadline: ServerRun, reference: ServerRun): Verdicts {
  const max = (run: ServerRun) => Math.max(0, ...run.steps.map((s) => s.load.ackRate));
  const saturated = [...threadline.steps, ...reference.steps].some((s) => s.load.shedPosts > 0 || s.load.ackRate < 0.95 * s.load.offeredRate);
  const tl = max(threadline);
  const ref = max(reference);
  const at = (rate: number) => threadline.steps.find((s) => s.load.offeredRate === rate);
  const k = at(TARGETS.keepUpRate);
  const l = at(TARGETS.lagRate);
  return {
    capacity: { threadline: tl, reference: ref, ratio: ref > 0 ? tl / ref : 0, saturated },
    keepUp: k
      ? {
          drainMs: k.drainMs ?? null,
          backlog: k.backlogAtEnd ?? null,
          pass: k.drainedLive !== false && k.drainMs !== null && k.drainMs !== undefined && k.drainMs <= TARGETS.keepUpDrainMs && k.load.ackRate >= 0.95 * k.load.offeredRate,
        }
      : null,
    lag: l ? { p99: l.lag?.lag_p99 ?? null, pass: l.lag?.lag_p99 != null && l.lag.lag_p99 < TARGETS.lagP99Ms } : null,
  };
}

export function verdictLines(v: Verdicts, withTargets: boolean): string[] {
  const mark = (pass: boolean) => (withTargets ? (pass ? 'PASS' : 'MISS') : 'info');
  const lines = [
    `acknowledgement capacity: Threadline ${fmtInt(v.capacity.threadline)} ev/s, reference ${fmtInt(v.capacity.reference)} ev/s, ` +
      `ratio ${v.capacity.ratio.toFixed(2)} (target ≥ ${TARGETS.ackRatio}) ${mark(v.capacity.ratio >= TARGETS.ackRatio)}` +
      (v.capacity.saturated ? '' : ' [no step saturated either server: both kept up with every offered rate; raise BENCH_RATES to find the ceilings]'),
  ];
  lines.push(
    v.keepUp
      ? `processing keeps up with ${fmtInt(TARGETS.keepUpRate)} ev/s: backlog at step end ${v.keepUp.backlog ?? '–'} rows, drained ${fmtMs(v.keepUp.drainMs)} after it ` +
          `(target: drained ≤ ${fmtMs(TARGETS.keepUpDrainMs)}) ${mark(v.keepUp.pass)}`
      : `processing at ${TARGETS.keepUpRate} ev/s: not measured (no such step)`,
  );
  lines.push(
    v.lag
      ? `p99 processing lag at ${fmtInt(TARGETS.lagRate)} ev/s: ${fmtMs(v.lag.p99)} (target < ${fmtMs(TARGETS.lagP99Ms)}) ${mark(v.lag.pass)}`
      : `processing lag at ${TARGETS.lagRate} ev/s: not measured (no such step)`,
  );
  return lines;
}
