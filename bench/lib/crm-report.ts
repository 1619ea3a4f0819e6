// What bench/crm.ts prints of Threadline beside its latency: the two legs of the delay, read from the rows a run
// wrote (PostgreSQL), and where a POST's time went before its CRM deliveries, read from Threadline's /metrics.
import { openPg } from './ingest-db.ts';
import { histogramDelta, histogramQuantile, readHistogram } from './prom.ts';
import type { OutageResult } from './crm-outage.ts';
import { ms } from './stats.ts';

export type Rounds = Awaited<ReturnType<typeof readRounds>>;
export type Measured = { p50: number; p99: number; lost: number; msPerEvent: number; pgMsPerEvent: number };
/** One rate of a run: the bare forwarder, the storing forwarders measured beside it (the floors), and Threadline. */
export type RateResult = { rate: number; forwarder: Measured; floors: { label: string; measured: Measured }[]; threadline: Measured };

/**
 * When the CRM answered a delivery's successful attempt: the attempt's start and its duration (what `succeeded_at`
 * holds since 2026-12-07; before, it was when the outcome was written, after the outcome writer's own gathering).
 */
const ANSWERED = `(d.last_attempt_at + d.last_duration_ms * interval '1 millisecond')`;

/** PostgreSQL only (PGlite belongs to the server): the two legs of the delay, read from the rows of run `tag`. */
export async function breakdown(pgUrl: string | null, tag: string): Promise<string> {
  if (!pgUrl) return '';
  const sql = await openPg(pgUrl);
  try {
    const [row] = (await sql.query(
      `select
         percentile_cont(0.5) within group (order by extract(epoch from m.created_at - m.sent_at)) * 1000 as ingest_p50,
         percentile_cont(0.99) within group (order by extract(epoch from m.created_at - m.sent_at)) * 1000 as ingest_p99,
         percentile_cont(0.5) within group (order by extract(epoch from ${ANSWERED} - d.created_at)) * 1000 as dispatch_p50,
         percentile_cont(0.99) within group (order by extract(epoch from ${ANSWERED} - d.created_at)) * 1000 as dispatch_p99
       from messages m join crm_deliveries d on d.payload->'data'->'message'->>'id' = m.id::text and d.event_type = 'message.received'
       where m.text like $1`,
      [`${tag}-%`],
    )) as Record<string, number | null>[];
    const f = (v: number | null | undefined) => (v == null ? '?' : Number(v).toFixed(0));
    return `  (Meta's timestamp → stored with its delivery row p50 ${f(row?.ingest_p50)} ms, p99 ${f(row?.ingest_p99)} ms; row → CRM answered p50 ${f(row?.dispatch_p50)} ms, p99 ${f(row?.dispatch_p99)} ms)`;
  } finally {
    await sql.close();
  }
}

/** The histograms of Threadline's rounds that store and apply POSTs, as /metrics has them now. */
export async function readRounds(origin: string) {
  const text = await fetch(`${origin}/metrics`).then((r) => r.text());
  return {
    wait: readHistogram(text, 'threadline_webhook_round_wait_seconds'),
    round: readHistogram(text, 'threadline_webhook_round_duration_seconds', 'outcome="committed"'),
    posts: readHistogram(text, 'threadline_webhook_round_posts'),
  };
}

/** Where a POST's time went before its CRM deliveries started: waiting for its round, then the round. */
export function roundsReport(before: Rounds, after: Rounds): string {
  const wait = histogramDelta(before.wait, after.wait);
  const round = histogramDelta(before.round, after.round);
  const posts = histogramDelta(before.posts, after.posts);
  const q = (h: typeof wait, p: number) => ms(histogramQuantile(h, p) * 1000);
  return (
    `a POST waited for its round p50 ${q(wait, 0.5)} ms, p99 ${q(wait, 0.99)} ms; a round took p50 ${q(round, 0.5)} ms, p99 ${q(round, 0.99)} ms; ` +
    `${round.count} rounds, ${(posts.count > 0 ? posts.sum / posts.count : 0).toFixed(1)} POSTs each`
  );
}

/** A measurement's CPU per event: its own processes' and PostgreSQL's backends'. */
const cpuPerEvent = (m: Measured) => m.msPerEvent + m.pgMsPerEvent;

/**
 * The storing forwarders' own figures beside a verdict: the least a design that stores (and numbers) an event before
 * the CRM's POST does, measured in the same run. Threadline cannot be expected below them.
 */
const floorsNote = (floors: string[]) => (floors.length > 0 ? `; the floors: ${floors.join(', ')}` : '');

/** The targets of issue 24, judged on one run: each as a line, and whether all passed. */
export function judgeTargets(results: RateResult[], outage: OutageResult | null): { ok: boolean; verdicts: string[] } {
  const verdicts: string[] = [];
  let ok = true;
  for (const r of results.filter((x) => x.rate <= 500)) {
    const ratio = r.threadline.p99 / r.forwarder.p99;
    const pass = ratio <= 3 && r.threadline.lost === 0;
    ok &&= pass;
    const floors = r.floors.map((f) => `${f.label} ${(f.measured.p99 / r.forwarder.p99).toFixed(1)}×`);
    verdicts.push(`p99 at ${r.rate}/s ${ratio.toFixed(1)}× the forwarder (≤ 3×: ${pass ? 'PASS' : 'MISS'}${floorsNote(floors)})`);
  }
  const at500 = results.find((r) => r.rate === 500);
  if (at500) {
    const cpu = cpuPerEvent(at500.threadline);
    ok &&= cpu <= 1.5;
    const floors = at500.floors.map((f) => `${f.label} ${cpuPerEvent(f.measured).toFixed(2)} ms`);
    verdicts.push(`CPU per event at 500/s ${cpu.toFixed(2)} ms (≤ 1.5 ms: ${cpu <= 1.5 ? 'PASS' : 'MISS'}${floorsNote(floors)})`);
  }
  if (outage) {
    const drainOk = outage.lost === 0 && outage.drainSeconds !== null && outage.drainSeconds <= 10;
    verdicts.push(`outage backlog ${outage.drainSeconds === null ? 'not drained' : `${outage.drainSeconds.toFixed(1)} s`} after the CRM's return (≤ 10 s: ${drainOk ? 'PASS' : 'MISS'})`);
    const at200 = results.find((r) => r.rate === 200);
    if (at200) {
      const fair = outage.newP99 <= 2 * at200.threadline.p99;
      verdicts.push(`new events during the drain p99 ${ms(outage.newP99)} ms (≤ 2× ${ms(at200.threadline.p99)} ms: ${fair ? 'PASS' : 'MISS'})`);
      ok &&= fair;
    }
    ok &&= drainOk;
  }
  return { ok, verdicts };
}
