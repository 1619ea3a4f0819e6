import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { sql, type SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { fromPglite, type Db as BossDb } from 'pg-boss';
import * as schema from './schema/index.ts';
import { acquireDirectoryLock } from './pglite-lock.ts';
import { serveSnapshots, type SnapshotServer } from './pglite-snapshot.ts';

export type Schema = typeof schema;
/** A Drizzle database or transaction, whichever engine is underneath. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export type DatabaseTarget =
  | { kind: 'pglite'; dataDir: string | null; /** a snapshot (`backup`) to start from */ loadDataDir?: Blob }
  | { kind: 'postgres'; url: string; poolMax?: number };

export type Database = {
  kind: 'pglite' | 'postgres';
  db: Db;
  /** How pg-boss reaches the same database: its own pool on PostgreSQL, an adapter over the one PGlite. */
  boss: { db: BossDb } | { connectionString: string; max: number };
  /** Runs one parameterless statement; used by readiness checks and tools. */
  ping(): Promise<void>;
  /**
   * LISTEN on a channel: NOTIFY from any process (PostgreSQL) or from this one (PGlite) calls `onPayload`.
   * `onReconnect` runs after the connection was lost and restored, so callers can catch up on what they missed.
   */
  listen(channel: string, onPayload: (payload: string) => void, onReconnect?: () => void): Promise<() => Promise<void>>;
  /** The embedded engine: a consistent gzipped tar of its data directory (PGlite's dumpDataDir); null on PostgreSQL. */
  snapshot: (() => Promise<Blob>) | null;
  /** Session-level advisory lock for the duration of `fn` (a no-op on the single-process embedded engine). */
  withAdvisoryLock<T>(key: number, fn: (db: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
};

const drizzleOptions = { schema, casing: 'snake_case' } as const;

export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  return target.kind === 'pglite' ? openPglite(target.dataDir, target.loadDataDir) : openPostgres(target.url, target.poolMax ?? 10);
}

/** PGlite with the extensions our migrations use (pg_trgm backs inbox search, migration 0001). */
export const PGLITE_EXTENSIONS = { pg_trgm };

/** An open PGlite as a Database: a data directory (locked, with a snapshot socket beside it), or memory. */
async function openPglite(dataDir: string | null, loadDataDir?: Blob): Promise<Database> {
  const release = dataDir ? acquireDirectoryLock(dataDir) : () => undefined;
  let client: PGlite;
  let snapshots: SnapshotServer | null = null;
  try {
    const options = { extensions: PGLITE_EXTENSIONS, ...(loadDataDir ? { loadDataDir } : {}) };
    client = dataDir ? await PGlite.create(dataDir, options) : await PGlite.create(options);
    // Serving snapshots is a convenience for backups: a socket that cannot be made leaves `backup` to a stopped server.
    if (dataDir) snapshots = await serveSnapshots(dataDir, () => client.dumpDataDir('gzip'), () => undefined).catch(() => null);
  } catch (error) {
    release();
    throw error;
  }
  const db: Db = drizzlePglite({ client, ...drizzleOptions });
  let closed = false;
  return {
    kind: 'pglite',
    db,
    boss: { db: fromPglite(client) },
    ping: async () => {
      await client.query('select 1');
    },
    snapshot: () => client.dumpDataDir('gzip'),
    withAdvisoryLock: (_key, fn) => fn(db),
    listen: async (channel, onPayload) => client.listen(channel, onPayload),
    close: async () => {
      if (closed) return;
      closed = true;
      await snapshots?.close();
      await client.close();
      release();
    },
  };
}

async function openPostgres(url: string, max: number): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    application_name: 'threadline',
  });
  // An idle client that errors (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  const db: Db = drizzlePg({ client: pool, ...drizzleOptions });
  return {
    kind: 'postgres',
    db,
    boss: { connectionString: url, max: Math.max(2, Math.ceil(max / 2)) },
    ping: async () => {
      await pool.query('select 1');
    },
    snapshot: null,
    listen: (channel, onPayload, onReconnect) => listenPostgres(url, channel, onPayload, onReconnect),
    withAdvisoryLock: async (key, fn) => {
      const conn = await pool.connect();
      try {
        await conn.query('select pg_advisory_lock($1)', [key]);
        try {
          return await fn(drizzlePg({ client: conn, ...drizzleOptions }));
        } finally {
          await conn.query('select pg_advisory_unlock($1)', [key]);
        }
      } finally {
        conn.release();
      }
    },
    close: async () => {
      await pool.end();
    },
  };
}

export { sql };

/**
 * One column of a set-wise statement as a single array parameter, typed by `cast` (`uuid[]`, `text[]`, `jsonb[]`…),
 * for `insert … select * from unnest(…)` and `update … from unnest(…)`. A batch of any size is then a handful of
 * parameters: building and binding one parameter per cell (`values (…), (…)`) cost the ingest process a fifth of its
 * CPU. Drizzle would expand a bare JS array into one parameter per element; `sql.param` keeps it whole.
 */
export function sqlArray(values: readonly unknown[], cast: `${string}[]`): SQL {
  return sql`${sql.param(values)}::${sql.raw(cast)}`;
}

/** Rows of a raw SQL statement, on either engine (both drivers answer `{ rows }`). */
export async function queryRows<T extends Record<string, unknown>>(db: Db, query: SQL): Promise<T[]> {
  return rowsOf<T>(await db.execute(query));
}

/** Both drivers answer `{ rows }`. */
function rowsOf<T>(result: unknown): T[] {
  if (result && typeof result === 'object' && 'rows' in result && Array.isArray(result.rows)) {
    return result.rows as T[];
  }
  throw new Error('unexpected driver result');
}

/**
 * Rows of a fixed statement (`text` with `$1…` placeholders, the same text on every call), in whichever transaction
 * `db` is, with no query building and no row mapping per call: for the statements run for every batch of webhooks
 * or deliveries. PostgreSQL plans it on every call, from the table sizes of the moment.
 * Timestamps come back as the driver's text: select them as numbers (`epochMs` below) where a Date is needed.
 */
export async function fixedRows<T extends Record<string, unknown>>(db: Db, text: string, params: unknown[]): Promise<T[]> {
  return runFixed<T>(db, undefined, text, params);
}

/**
 * `fixedRows`, and prepared under `name` once per connection on PostgreSQL (a name must always go with the same
 * text): the parse and plan are saved too, and the plan is kept. Only for statements whose plan no table size can
 * change (an insert of the given rows); the per-batch statements that read a table, even by key, go through
 * `fixedRows`: a plan kept from a moment the table was empty scans it whole until the table is next analyzed.
 */
export async function preparedRows<T extends Record<string, unknown>>(db: Db, name: string, text: string, params: unknown[]): Promise<T[]> {
  return runFixed<T>(db, name, text, params);
}

async function runFixed<T>(db: Db, name: string | undefined, text: string, params: unknown[]): Promise<T[]> {
  return rowsOf<T>(await db._.session.prepareQuery({ sql: text, params }, undefined, name, false).execute());
}

/** SQL for a timestamp as milliseconds since the epoch (a JSON or float8 number), truncated as a JS Date is. */
export const epochMs = (column: string) => `floor(extract(epoch from ${column}) * 1000)::float8`;

/** A dedicated connection for LISTEN (a pooled one would be handed to others), reconnected with back-off. */
async function listenPostgres(url: string, channel: string, onPayload: (payload: string) => void, onReconnect?: () => void) {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid channel name ${channel}`);
  let client: pg.Client | null = null;
  let stopped = false;
  let delay = 500;
  const connect = async (isReconnect: boolean): Promise<void> => {
    const c = new pg.Client({ connectionString: url, application_name: 'threadline-listen' });
    c.on('notification', (msg) => {
      if (msg.channel === channel && msg.payload !== undefined) onPayload(msg.payload);
    });
    c.on('error', () => {
      void c.end().catch(() => undefined);
      if (client === c) client = null;
      if (!stopped) setTimeout(() => void retry(), delay);
    });
    await c.connect();
    await c.query(`LISTEN ${channel}`);
    client = c;
    delay = 500;
    if (isReconnect) onReconnect?.();
  };
  const retry = async () => {
    if (stopped || client) return;
    try {
      await connect(true);
    } catch {
      delay = Math.min(delay * 2, 10_000);
      if (!stopped) setTimeout(() => void retry(), delay);
    }
  };
  await connect(false);
  return async () => {
    stopped = true;
    const c = client;
    client = null;
    await c?.end().catch(() => undefined);
  };
}
