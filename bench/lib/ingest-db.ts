// The benchmark's own database access: a bench PostgreSQL database created and dropped per run, account rows for
// the simulated IG accounts, and the after-the-fact analysis of what Threadline stored (PostgreSQL or a stopped
// server's PGlite directory).
import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { z } from 'zod';

export type Sql = { query(text: string, params?: unknown[]): Promise<unknown[]>; close(): Promise<void> };

/**
 * BENCH_PG_URL, or the local default: the benches create and drop databases there and read their backends' CPU from
 * this machine's /proc, so it must be a PostgreSQL on this machine.
 */
export function localPgAdminUrl(value: string | undefined): string {
  const url = value ?? 'postgres://root@127.0.0.1:5432/postgres';
  if (!/^postgres(ql)?:\/\/[^/]*@?(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//.test(url)) throw new Error('BENCH_PG_URL must point at 127.0.0.1');
  return url;
}

export async function openPg(url: string): Promise<Sql> {
  const client = new pg.Client({ connectionString: url, application_name: 'threadline-bench' });
  await client.connect();
  return { query: async (text, params) => (await client.query(text, params)).rows, close: () => client.end() };
}

/** Opens a PGlite directory no other process has open (the server that owns it must be stopped). */
export async function openPgliteDir(dir: string): Promise<Sql> {
  const db = await PGlite.create(dir);
  return { query: async (text, params) => (await db.query(text, params)).rows, close: () => db.close() };
}

/** A fresh database on the server behind `adminUrl`; `drop()` removes it (and its connections). */
export async function createBenchDatabase(adminUrl: string): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `threadline_bench_${randomBytes(5).toString('hex')}`;
  const admin = await openPg(adminUrl);
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.close();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const again = await openPg(adminUrl);
      try {
        await again.query(`drop database if exists ${name} with (force)`);
      } finally {
        await again.close();
      }
    },
  };
}

/** A fresh database for one engine's run, or null (saying why) when the server behind `adminUrl` is not reachable. */
export async function benchDatabaseOrSkip(adminUrl: string): Promise<Awaited<ReturnType<typeof createBenchDatabase>> | null> {
  try {
    return await createBenchDatabase(adminUrl);
  } catch (error) {
    console.log(`\n## PostgreSQL: skipped, ${adminUrl.replace(/\/\/[^@]*@/, '//')} is not reachable (${error instanceof Error ? error.message : error})`);
    return null;
  }
}

const settingRow = z.object({ name: z.string(), setting: z.string() });

export async function postgresSettings(sql: Sql): Promise<string> {
  const rows = z
    .array(settingRow)
    .parse(
      await sql.query(
        `select name, setting from pg_settings where name in ('server_version', 'fsync', 'synchronous_commit', 'shared_buffers', 'max_connections') order by name`,
      ),
    );
  return rows.map((r) => `${r.name}=${r.setting}`).join(' ');
}

export async function insertAccounts(sql: Sql, igUserIds: readonly string[]): Promise<void> {
  for (const [i, id] of igUserIds.entries()) {
    await sql.query(`insert into accounts (ig_user_id, username) values ($1, $2)`, [id, `bench_account_${i}`]);
  }
}

const num = z.coerce.number();
const nullableNum = z.union([z.null(), z.coerce.number()]);
const lagRow = z.object({
  tag: z.string(),
  events: num,
  matched: num,
  lag_p50: nullableNum,
  lag_p99: nullableNum,
  lag_max: nullableNum,
  done_p99: nullableNum,
  last_processed_ms: nullableNum,
});
export type StepLag = z.infer<typeof lagRow>;

/**
 * Per step (the tag inside every mid): how long after its POST was stored (webhook_events.received_at) each
 * message row was written (messages.created_at), and the same up to the raw event's processed_at.
 */
export async function processingLag(sql: Sql): Promise<Map<string, StepLag>> {
  await sql.query(`drop table if exists bench_ev`);
  await sql.query(
    `create temp table bench_ev as
     select w.received_at, w.processed_at, item->'message'->>'mid' as mid,
            split_part(item->'message'->>'mid', '_', 2) as tag
     from webhook_events w
     cross join lateral jsonb_array_elements(convert_from(w.body, 'UTF8')::jsonb->'entry') e
     cross join lateral jsonb_array_elements(e->'messaging') item
     where item->'message'->>'mid' like 'aWdfYmVuY2g\\_%'`,
  );
  const rows = z.array(lagRow).parse(
    await sql.query(
      `select ev.tag, count(*) as events, count(m.id) as matched,
              percentile_disc(0.5) within group (order by extract(epoch from m.created_at - ev.received_at) * 1000) as lag_p50,
              percentile_disc(0.99) within group (order by extract(epoch from m.created_at - ev.received_at) * 1000) as lag_p99,
              max(extract(epoch from m.created_at - ev.received_at) * 1000) as lag_max,
              percentile_disc(0.99) within group (order by extract(epoch from ev.processed_at - ev.received_at) * 1000) as done_p99,
              extract(epoch from max(ev.processed_at)) * 1000 as last_processed_ms
       from bench_ev ev left join messages m on m.mid = ev.mid
       group by ev.tag`,
    ),
  );
  return new Map(rows.map((r) => [r.tag, r]));
}

/** Raw events stored by `atMs` (epoch ms) and not yet processed then: the backlog of `received` rows at that moment. */
export async function backlogAt(sql: Sql, atMs: number): Promise<number> {
  const [row] = z
    .array(z.object({ n: num }))
    .parse(
      await sql.query(
        `select count(*) as n from webhook_events
         where received_at <= to_timestamp($1::float8 / 1000) and (processed_at is null or processed_at > to_timestamp($1::float8 / 1000))`,
        [atMs],
      ),
    );
  return row?.n ?? 0;
}

export async function statusCounts(sql: Sql): Promise<string> {
  const rows = z
    .array(z.object({ status: z.string(), n: num }))
    .parse(await sql.query(`select status, count(*) as n from webhook_events group by status order by status`));
  return rows.map((r) => `${r.status}=${r.n}`).join(' ');
}
