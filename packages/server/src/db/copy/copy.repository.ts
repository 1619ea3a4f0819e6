import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../client.ts';

/**
 * Catalog reads and row streaming for `db copy`: table-generic on purpose (every table of our schema and pg-boss's
 * job tables), so a table added by a later migration is copied without touching this file.
 */
export type TableRef = { schema: string; name: string };
export type SequenceValue = { schema: string; name: string; lastValue: string };

const ident = (t: TableRef) => sql`${sql.identifier(t.schema)}.${sql.identifier(t.name)}`;
export const tableName = (t: TableRef) => `${t.schema}.${t.name}`;

export function createCopyRepository(db: Db) {
  return {
    /** Ordinary and partitioned tables of a schema (partitions are reached through their parent). */
    async tables(schema: string): Promise<TableRef[]> {
      const rows = await queryRows<{ name: string }>(
        db,
        sql`select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where n.nspname = ${schema} and c.relkind in ('r', 'p') and not c.relispartition order by c.relname`,
      );
      return rows.map((r) => ({ schema, name: r.name }));
    },

    /** Foreign keys between tables of a schema: [referencing, referenced]. */
    async foreignKeys(schema: string): Promise<[string, string][]> {
      const rows = await queryRows<{ child: string; parent: string }>(
        db,
        sql`select c.relname as child, p.relname as parent from pg_constraint k
              join pg_class c on c.oid = k.conrelid join pg_namespace cn on cn.oid = c.relnamespace
              join pg_class p on p.oid = k.confrelid join pg_namespace pn on pn.oid = p.relnamespace
             where k.contype = 'f' and cn.nspname = ${schema} and pn.nspname = ${schema} and c.oid <> p.oid`,
      );
      return rows.map((r) => [r.child, r.parent]);
    },

    /** Columns a row can be written with (generated columns are computed by the target itself). */
    async writableColumns(table: TableRef): Promise<string[]> {
      const rows = await queryRows<{ name: string }>(
        db,
        sql`select a.attname as name from pg_attribute a
             where a.attrelid = format('%I.%I', ${table.schema}::text, ${table.name}::text)::regclass and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
             order by a.attnum`,
      );
      return rows.map((r) => r.name);
    },

    /** pg-boss queues kept in a partition of their own (Threadline makes none; the copy refuses them). */
    async partitionedJobQueues(): Promise<string[]> {
      const rows = await queryRows<{ name: string }>(db, sql`select name from pgboss.queue where partition order by name`);
      return rows.map((r) => r.name);
    },

    async count(table: TableRef): Promise<number> {
      const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::float8 as n from ${ident(table)}`);
      return Number(row?.n ?? 0);
    },

    /** Whether the schemas hold any table at all (the copy's target must be empty). */
    async tablesIn(schemas: string[]): Promise<string[]> {
      const rows = await queryRows<{ name: string }>(
        db,
        sql`select n.nspname || '.' || c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where n.nspname in (${sql.join(schemas.map((s) => sql`${s}`), sql`, `)}) and c.relkind in ('r', 'p') order by 1`,
      );
      return rows.map((r) => r.name);
    },

    async sequences(schema: string): Promise<SequenceValue[]> {
      const rows = await queryRows<{ name: string; last_value: string | null }>(
        db,
        sql`select sequencename as name, last_value::text as last_value from pg_sequences where schemaname = ${schema}`,
      );
      return rows.filter((r) => r.last_value !== null).map((r) => ({ schema, name: r.name, lastValue: String(r.last_value) }));
    },

    async setSequence(seq: SequenceValue): Promise<void> {
      await queryRows(db, sql`select setval(format('%I.%I', ${seq.schema}::text, ${seq.name}::text)::regclass, ${seq.lastValue}::bigint, true)`);
    },

    /** Reads a table in batches through a cursor, in the caller's transaction (its snapshot). */
    async *batches(table: TableRef, batchSize: number): AsyncGenerator<unknown[]> {
      await queryRows(db, sql`declare threadline_copy no scroll cursor for select to_jsonb(t) as r from ${ident(table)} t`);
      try {
        for (;;) {
          const rows = await queryRows<{ r: unknown }>(db, sql`fetch forward ${sql.raw(String(batchSize))} from threadline_copy`);
          if (rows.length === 0) return;
          yield rows.map((row) => row.r);
        }
      } finally {
        await queryRows(db, sql`close threadline_copy`);
      }
    },

    /** Writes rows read by `batches` (JSON objects keyed by column), identity values kept; rows already there are left. */
    async insertRows(table: TableRef, columns: string[], rows: unknown[]): Promise<number> {
      const cols = sql.join(columns.map((c) => sql.identifier(c)), sql`, `);
      const inserted = await queryRows<{ n: number }>(
        db,
        sql`with ins as (
              insert into ${ident(table)} (${cols}) overriding system value
              select ${cols} from jsonb_populate_recordset(null::${ident(table)}, ${JSON.stringify(rows)}::jsonb)
              on conflict do nothing returning 1)
            select count(*)::int as n from ins`,
      );
      return Number(inserted[0]?.n ?? 0);
    },
  };
}
export type CopyRepository = ReturnType<typeof createCopyRepository>;
