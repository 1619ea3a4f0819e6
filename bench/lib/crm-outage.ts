// The outage run of bench/crm.ts: the CRM answers 503 for 30 s while 200 events/s flow, then takes events again;
// what it measures is issue 24's fairness after an outage (the backlog delivered within 10 s of the return, new
// events at their usual latency meanwhile, a second account's endpoint not slowed).
import { waitFor, type CrmReceiver, type MetaSender } from './crm-traffic.ts';
import { latencies, ms, p99ByPeriod, percentile } from './stats.ts';

/** The second account's rate, up throughout. */
const OTHER_RATE = 50;
const OUTAGE_RATE = 200;
const OUTAGE_SECONDS = 30;
const AFTER_OUTAGE_SECONDS = 15;

export type OutageResult = { lost: number; drainSeconds: number | null; newP99: number; otherP99: number };

/**
 * The CRM answers 503 for 30 s while 200 events/s flow, then takes events again while 200/s go on for 15 s; a
 * second account (its own CRM, up throughout) gets 50 events/s the whole time.
 */
export async function outageRun(meta: MetaSender, other: MetaSender, crm: { receiver: CrmReceiver; otherReceiver: CrmReceiver; scale: number }): Promise<OutageResult> {
  const { receiver, otherReceiver, scale: SCALE } = crm;
  const outageMs = OUTAGE_SECONDS * 1000 * SCALE;
  const count = Math.round(OUTAGE_RATE * (OUTAGE_SECONDS + AFTER_OUTAGE_SECONDS) * SCALE);
  const otherCount = Math.round(OTHER_RATE * (OUTAGE_SECONDS + AFTER_OUTAGE_SECONDS) * SCALE);
  // The second account meets its customers first (its contacts and conversations, its CRM's connection), as the
  // warm-up does for the first: its figures are then about the outage, not about its own first events.
  const warm = await other.drive(OTHER_RATE, Math.max(1, Math.round(OTHER_RATE * 2 * SCALE)));
  await waitFor(() => [...warm.acks.keys()].every((m) => otherReceiver.arrivals.has(m)), 60_000);
  const { webhookIds } = receiver;
  webhookIds.clear();
  receiver.setMode('down');
  let backAt = Number.POSITIVE_INFINITY;
  const back = setTimeout(() => {
    receiver.setMode('ok');
    backAt = performance.now();
  }, outageMs);
  const [run, otherRun] = await Promise.all([meta.drive(OUTAGE_RATE, count), other.drive(OTHER_RATE, otherCount)]);
  const done = await waitFor(() => [...run.acks.keys()].every((m) => receiver.arrivals.has(m)), 10 * 60_000);
  clearTimeout(back);
  receiver.setMode('ok');
  await waitFor(() => [...otherRun.acks.keys()].every((m) => otherReceiver.arrivals.has(m)), 60_000);
  const backlog = [...run.acks.keys()].filter((m) => (run.sent.get(m) ?? 0) < backAt);
  const lastBacklog = Math.max(...backlog.map((m) => receiver.arrivals.get(m) ?? Number.NaN));
  const fresh = [...run.acks.keys()].filter((m) => (run.sent.get(m) ?? 0) >= backAt);
  const delivered = [...run.acks.keys()].filter((m) => receiver.arrivals.has(m)).length;
  const duplicates = [...webhookIds.values()].reduce((sum, n) => sum + n - 1, 0);
  const freshLatencies = latencies(run.sent, fresh, receiver.arrivals);
  const bySecond = p99ByPeriod(run.sent, fresh, receiver.arrivals, backAt, 1000);
  const otherStart = Math.min(...otherRun.sent.values());
  const otherByFive = p99ByPeriod(otherRun.sent, otherRun.acks.keys(), otherReceiver.arrivals, otherStart, 5000);
  const result: OutageResult = {
    lost: run.acks.size - delivered,
    drainSeconds: done && Number.isFinite(lastBacklog) ? Math.max(0, lastBacklog - backAt) / 1000 : null,
    newP99: percentile(freshLatencies, 99),
    otherP99: percentile(latencies(otherRun.sent, otherRun.acks.keys(), otherReceiver.arrivals), 99),
  };
  console.log(
    `- outage: ${OUTAGE_RATE} events/s, the CRM answering 503 for ${(outageMs / 1000).toFixed(0)} s × ${count}: acknowledged ${run.acks.size}, ` +
      `delivered ${delivered} (${result.lost === 0 ? 'no loss' : `LOST ${result.lost}`}), duplicates ${duplicates}; ` +
      `backlog of ${backlog.length} delivered ${result.drainSeconds === null ? 'NOT within 10 min' : `${result.drainSeconds.toFixed(1)} s after the CRM's return`}; ` +
      `events sent after the return (${fresh.length}): p50 ${ms(percentile(freshLatencies, 50))} ms, p99 ${ms(result.newP99)} ms ` +
      `(p99 by second after the return: ${bySecond}); ` +
      `the other account (its CRM up, ${OTHER_RATE}/s, warmed up for 2 s first): p99 ${ms(result.otherP99)} ms (by 5 s from the start: ${otherByFive})`,
  );
  return result;
}
