// What PostgreSQL does per event during a benchmark run: rows written per table (pg_stat_user_tables, always
// there) and the statements run, with their share of database time (pg_stat_statements, when the server loads it:
// `ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'` and a restart; otherwise a note says so).
import { openPg } from './ingest-db.ts';
import { table } from './stats.ts';

type TableCounts = Map<string, { ins: number; upd: number; del: number }>;
export type PgWorkSnapshot = { tables: TableCounts; statements: boolean };

async function readTables(url: string): Promise<TableCounts> {
  const sql = await openPg(url);
  try {
    const rows = (await sql.query(
      'select relname, n_tup_ins::float8 as ins, n_tup_upd::float8 as upd, n_tup_del::float8 as del from pg_stat_user_tables',
    )) as { relname: string; ins: number; upd: number; del: number }[];
    return new Map(rows.map((r) => [r.relname, { ins: r.ins, upd: r.upd, del: r.del }]));
  } finally {
    await sql.close();
  }
}

/** Before a run: table counters, and pg_stat_statements reset (when loaded). */
export async function pgWorkBefore(url: string): Promise<PgWorkSnapshot> {
  const sql = await openPg(url);
  let statements: boolean;
  try {
    await sql.query('create extension if not exists pg_stat_statements');
    await sql.query('select pg_stat_statements_reset()');
    statements = true;
  } catch {
    statements = false; // not in shared_preload_libraries
  } finally {
    await sql.close();
  }
  return { tables: await readTables(url), statements };
}

/** After a run of `events`: rows written per event by table, and the statements by share of database time. */
export async function pgWorkReport(url: string, before: PgWorkSnapshot, events: number): Promise<string> {
  // A busy backend flushes its table counters at most once a second, an idle one within 10 s (PGSTAT_IDLE_INTERVAL).
  await new Promise((r) => setTimeout(r, 11_000));
  const after = await readTables(url);
  const rows: string[][] = [];
  let total = 0;
  for (const [name, a] of after) {
    const b = before.tables.get(name) ?? { ins: 0, upd: 0, del: 0 };
    const ins = (a.ins - b.ins) / events;
    const upd = (a.upd - b.upd) / events;
    const del = (a.del - b.del) / events;
    if (ins + upd + del < 0.005) continue;
    total += ins + upd + del;
    rows.push([name, ins.toFixed(2), upd.toFixed(2), del.toFixed(2)]);
  }
  rows.sort((x, y) => Number(y[1]) + Number(y[2]) + Number(y[3]) - (Number(x[1]) + Number(x[2]) + Number(x[3])));
  let out = `rows written per event (${total.toFixed(2)} in all):\n${table(['table', 'inserted', 'updated', 'deleted'], rows)}`;
  if (!before.statements) {
    return `${out}\n(statements per event: load pg_stat_statements in PostgreSQL's shared_preload_libraries to see them)`;
  }
  const sql = await openPg(url);
  try {
    const stmts = (await sql.query(
      `select left(regexp_replace(query, '\\s+', ' ', 'g'), 90) as query, calls::float8 as calls, total_exec_time as ms,
              total_plan_time as plan_ms,
              100 * total_exec_time / nullif(sum(total_exec_time) over (), 0) as share
         from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
        order by total_exec_time desc limit 15`,
    )) as { query: string; calls: number; ms: number; plan_ms: number; share: number }[];
    out += `\nstatements by share of database time (planning: with pg_stat_statements.track_planning on, else 0):\n${table(
      ['statement', 'calls/event', 'ms/event', 'share', 'planning ms/event'],
      stmts.map((s) => [s.query, (s.calls / events).toFixed(3), (s.ms / events).toFixed(3), `${Number(s.share).toFixed(1)} %`, (Number(s.plan_ms) / events).toFixed(3)]),
    )}`;
  } finally {
    await sql.close();
  }
  return out;
}
