// One fault scenario: steady signed traffic, a fault injected partway, Meta retrying what it could not deliver,
// then the accounting: what was sent, acknowledged, stored, delivered, lost or doubled, and how fast it recovered.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Sql } from '../../bench/lib/ingest-db.ts';
import { logLinesContaining, type Cluster } from './cluster.ts';
import { TEXT_PREFIX, type CrmReceiver, type MetaSender, type RunTraffic } from './traffic.ts';

export type Fault = {
  /** when the fault starts, in ms after the traffic starts */
  atMs: number;
  /** injects the fault; resolves with when it ended (performance.now()): the database is back, the process ready… */
  inject(): Promise<number>;
};

export type ScenarioResult = {
  name: string;
  sent: number;
  acknowledged: number;
  inInbox: number;
  atCrm: number;
  lost: number;
  duplicatedInInbox: number;
  duplicatedAtCrm: number;
  /** the same webhook-id accepted again (a safe resend: the CRM deduplicates on it) */
  resent: number;
  firstOkAfterMs: number | null;
  drainMs: number | null;
  died: number;
  logLeaks: string[];
  posts: RunTraffic['posts'];
};

export type ScenarioContext = {
  meta: MetaSender;
  crm: CrmReceiver;
  cluster: Cluster;
  /** reads the inbox: message text → rows (PostgreSQL directly, or the stopped PGlite) */
  inbox(tag: string): Promise<Map<string, number>>;
};

const fmt = (ms: number | null) => (ms === null ? '-' : ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / 1000).toFixed(1)} s`);

export async function runScenario(
  ctx: ScenarioContext,
  name: string,
  opts: { rate: number; seconds: number; fault: Fault; settleMs?: number; storm?: () => number; beforeVerify?: () => Promise<void> },
): Promise<ScenarioResult> {
  const deathsBefore = ctx.cluster.deaths.length;
  let faultEnded: Promise<number> | null = null;
  const run = await ctx.meta.drive({
    rate: opts.rate,
    seconds: opts.seconds,
    ...(opts.storm ? { storm: opts.storm } : {}),
    onTick: (elapsed) => {
      if (!faultEnded && elapsed >= opts.fault.atMs) faultEnded = opts.fault.inject();
    },
  });
  const endedAt = await (faultEnded ?? opts.fault.inject());
  // Meta retries what it was not answered 200 for
  await ctx.meta.retryUnacknowledged(run, 120_000);
  // wait until every acknowledged event reached the CRM, or the settle time runs out
  const until = performance.now() + (opts.settleMs ?? 60_000);
  while (performance.now() < until && [...run.acked.keys()].some((t) => !ctx.crm.received.has(t))) await sleep(100);
  await opts.beforeVerify?.();
  const inbox = await ctx.inbox(run.tag);

  let lost = 0;
  let inInbox = 0;
  let atCrm = 0;
  let duplicatedInInbox = 0;
  let duplicatedAtCrm = 0;
  let resent = 0;
  for (const text of run.events.keys()) {
    const rows = inbox.get(text) ?? 0;
    const ids = ctx.crm.received.get(text);
    if (rows > 0) inInbox += 1;
    if (rows > 1) duplicatedInInbox += 1;
    if (ids) {
      atCrm += 1;
      if (ids.size > 1) duplicatedAtCrm += 1;
      for (const n of ids.values()) resent += n - 1;
    }
    if (run.acked.has(text) && (rows === 0 || !ids)) lost += 1;
  }
  const firstOk = run.okTimes.filter((t) => t >= endedAt).sort((a, b) => a - b)[0];
  const backlog = [...run.acked].filter(([, at]) => at < endedAt).map(([text]) => text);
  const arrivals = backlog.map((t) => ctx.crm.firstArrival.get(t)).filter((t): t is number => t !== undefined);
  const lastArrival = arrivals.length > 0 ? Math.max(...arrivals) : null;
  const result: ScenarioResult = {
    name,
    sent: run.events.size,
    acknowledged: run.acked.size,
    inInbox,
    atCrm,
    lost,
    duplicatedInInbox,
    duplicatedAtCrm,
    resent,
    firstOkAfterMs: firstOk === undefined ? null : firstOk - endedAt,
    drainMs: lastArrival === null || backlog.length > arrivals.length ? null : Math.max(0, lastArrival - endedAt),
    died: ctx.cluster.deaths.length - deathsBefore,
    logLeaks: logLinesContaining(ctx.cluster, TEXT_PREFIX).slice(0, 5),
    posts: run.posts,
  };
  console.log(
    `| ${name} | ${result.sent} | ${result.acknowledged} | ${result.inInbox} | ${result.atCrm} | ${result.lost} | ` +
      `${result.duplicatedInInbox}/${result.duplicatedAtCrm} (${result.resent} resent) | ${fmt(result.firstOkAfterMs)} | ${fmt(result.drainMs)} | ` +
      `${result.died} | POSTs: ${result.posts.ok} ok, ${result.posts.unavailable} 503, ${result.posts.failed} unanswered` +
      `${run.failures.size > 0 ? ` (${[...run.failures].map(([k, v]) => `${k} ${v}`).join(', ')})` : ''} |`,
  );
  return result;
}

export const TABLE_HEADER =
  '| scenario | sent | acknowledged | in the inbox | at the CRM | lost | duplicated inbox/CRM | first 200 after | drained after | died | |\n|---|---|---|---|---|---|---|---|---|---|---|';

/** Inbox rows per message text of run `tag`, read from PostgreSQL (or a stopped PGlite). */
export async function inboxFrom(sql: Sql, tag: string): Promise<Map<string, number>> {
  const rows = (await sql.query(`select text, count(*)::int as n from messages where text like $1 group by text`, [`${TEXT_PREFIX}${tag}-%`])) as {
    text: string;
    n: number;
  }[];
  return new Map(rows.map((r) => [r.text, r.n]));
}
