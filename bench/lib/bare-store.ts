// The storage of the bare references (bench/ingest-reference-server.ts, and bench/crm-forwarder.ts when it stores):
// one INSERT of the raw body per webhook POST, in its own transaction (PostgreSQL through a pool, or a PGlite
// directory of its own). Nothing else: no batching, no processing.
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

export type BareStore = { insert(body: Buffer): Promise<void>; close(): Promise<void> };

const TABLE = `create table if not exists bench_ref_events (
  id bigint generated always as identity primary key,
  received_at timestamptz not null default now(),
  body bytea not null)`;
const INSERT = 'insert into bench_ref_events (body) values ($1)';

export async function openBareStore(opts: { databaseUrl?: string | undefined; dataDir?: string | undefined; poolMax: number; name: string }): Promise<BareStore> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.poolMax, application_name: opts.name });
    pool.on('error', () => undefined);
    await pool.query(TABLE);
    return { insert: async (body) => void (await pool.query(INSERT, [body])), close: () => pool.end() };
  }
  if (!opts.dataDir) throw new Error('a database URL or a PGlite directory is required');
  const db = await PGlite.create(opts.dataDir);
  await db.exec(TABLE);
  return { insert: async (body) => void (await db.query(INSERT, [body])), close: () => db.close() };
}
