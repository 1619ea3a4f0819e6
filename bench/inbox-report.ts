// What the inbox benchmark prints for one engine: the data set, the read latencies with their targets and index
// use, the send test, live updates, and every query plan in full.
import os from 'node:os';
import type { EngineResult } from './inbox-run.ts';
import { fmtInt, fmtMs, table } from './lib/stats.ts';

const param = (v: unknown) => (v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : JSON.stringify(v));
const oneLine = (sql: string) => sql.replace(/\s+/g, ' ').trim();

export function engineReport(name: 'postgres' | 'pglite', r: EngineResult, header: string): { text: string; misses: string[] } {
  const out: string[] = [];
  const misses: string[] = [];
  const isPg = name === 'postgres';
  const c = r.seed.counts;
  out.push(`\n## ${header}\n`);
  out.push(
    `data: ${fmtInt(c.accounts ?? 0)} accounts, ${fmtInt(c.contacts ?? 0)} contacts, ${fmtInt(c.conversations ?? 0)} conversations, ` +
      `${fmtInt(c.messages ?? 0)} messages, ${fmtInt(c.message_reactions ?? 0)} reactions, ${fmtInt(c.conversation_labels ?? 0)} labels set; seeded in ` +
      Object.entries(r.seed.seconds)
        .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
        .join(', '),
  );
  out.push(`measured account: the largest (${fmtInt(r.params.conversationsInAccount)} conversations); sequential requests over one keep-alive connection\n`);

  const rows = r.cases.map((cs) => {
    const m = r.reads.find((x) => x.key === cs.key);
    const plan = r.plans.get(cs.key);
    const ok = m ? m.p95 < cs.targetP95Ms : false;
    if (isPg && !ok) misses.push(`${cs.label}: p95 ${fmtMs(m?.p95 ?? null)} ≥ ${cs.targetP95Ms} ms`);
    if (isPg && plan && plan.indexes.length === 0) misses.push(`${cs.label}: the plan uses no index`);
    return [
      cs.label,
      fmtMs(m?.p50 ?? null),
      fmtMs(m?.p95 ?? null),
      fmtMs(m?.p99 ?? null),
      fmtMs(m?.max ?? null),
      String(m?.items ?? '–'),
      `< ${cs.targetP95Ms} ms ${isPg ? (ok ? 'PASS' : 'MISS') : ok ? '(met)' : '(not met)'}`,
      fmtMs(plan?.executionMs ?? null),
      plan ? (plan.indexes.join(', ') || 'NONE') + (plan.seqScans.length ? `; seq scan: ${plan.seqScans.join(', ')}` : '') : '–',
    ];
  });
  const samples = r.reads[0]?.samples ?? 0;
  out.push(`Reads (${samples} samples each after warm-up; SQL = the EXPLAIN ANALYZE execution time of its statements, summed)\n`);
  out.push(table(['read', 'p50', 'p95', 'p99', 'max', 'rows', 'target p95', 'SQL', 'indexes used'], rows));

  if (r.send) {
    const { run, latency } = r.send;
    const rejected = Object.entries(run.rejected);
    out.push(
      `\nSending through the simulator: ${fmtInt(run.ids.length)} messages accepted (202)` +
        (rejected.length ? `, rejected: ${rejected.map(([k, v]) => `${v}×${k}`).join(' ')}` : '') +
        ` in ${run.postSeconds.toFixed(1)} s; POST p50 ${fmtMs(run.postP50)} p95 ${fmtMs(run.postP95)} p99 ${fmtMs(run.postP99)}`,
    );
    out.push(
      `final statuses: ${Object.entries(latency.statuses)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}; ${run.finished ? 'all settled' : 'NOT all settled before the deadline'} ${run.wallSeconds.toFixed(1)} s after the first POST`,
    );
    out.push(
      `throughput ${latency.throughput.toFixed(1)} sent/s (first created_at → last sent); queued → sent (created_at → updated_at of the sent row): ` +
        `p50 ${fmtMs(latency.p50)} p95 ${fmtMs(latency.p95)} p99 ${fmtMs(latency.p99)} max ${fmtMs(latency.max)}`,
    );
    if (isPg && latency.sent < run.ids.length) misses.push(`send: only ${latency.sent} of ${run.ids.length} messages reached sent`);
  } else {
    out.push(`\nSending through the simulator: ${r.sendNote}`);
    if (isPg) misses.push(`send: ${r.sendNote}`);
  }
  if (r.live) {
    const l = r.live;
    const ok = l.p99 < 200 && l.received === l.expected && l.expected > 0;
    out.push(
      `\nLive updates: ${l.connected}/${l.clients} SSE clients on the measured account; ${fmtInt(l.offered)} customer messages offered open-loop ` +
        `(one per Meta POST), ${fmtInt(l.acked)} acknowledged, ${l.shed} shed, ${l.failed} failed; ` +
        `${fmtInt(l.received)} of ${fmtInt(l.expected)} (client, message) deliveries after the warm-up second`,
    );
    out.push(
      `Meta's POST acknowledged → SSE client has the message: p50 ${fmtMs(l.p50)} p95 ${fmtMs(l.p95)} p99 ${fmtMs(l.p99)} max ${fmtMs(l.max)}; ` +
        `target p99 < 200 ms ${isPg ? (ok ? 'PASS' : 'MISS') : ok ? '(met)' : '(not met)'}`,
    );
    out.push(
      `CPU while posting (% of one core, ${os.availableParallelism()} cores): Threadline ${l.cpu.server.toFixed(0)} %, ` +
        `PostgreSQL ${l.cpu.postgres.toFixed(0)} %, this bench (Meta and the ${l.connected} SSE clients) ${l.cpu.bench.toFixed(0)} %, machine ${l.cpu.machine.toFixed(0)} %`,
    );
    if (isPg && !ok) misses.push(`live updates: p99 ${fmtMs(l.p99)}, ${l.received} of ${l.expected} deliveries`);
  } else out.push(`\nLive updates: ${r.liveNote}`);

  out.push(`\nQuery plans (the repository's own SQL, captured from Drizzle, with the parameters of the first sample):`);
  for (const cs of r.cases) {
    const plan = r.plans.get(cs.key);
    if (!plan) continue;
    out.push(`\n### ${cs.label}`);
    plan.statements.forEach((st, i) => {
      const nth = plan.statements.length > 1 ? `statement ${i + 1} of ${plan.statements.length}:\n` : '';
      out.push(`${nth}${oneLine(st.sql)}\nparams: ${st.params.map(param).join(' | ')}\n${st.plan}`);
    });
  }
  return { text: out.join('\n'), misses };
}
