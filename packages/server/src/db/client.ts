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
import { describeDbError, isConnectionError } from '../shared/db-errors.ts';
import { createLogGate, type Logger } from '../shared/logger.ts';

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
type DrizzleOptions = typeof drizzleOptions & { logger?: ReturnType<typeof statementLogger> };

export type OpenOptions = {
  /** Hears connections lost and restored (never a statement's parameters). */
  log?: Logger;
  /**
   * Hears the text of every statement Drizzle runs (never its parameters): for looking at the SQL a code path sends,
   * as the SQL snapshot test does (test/sql-snapshots.test.ts).
   */
  statementLog?: (text: string) => void;
};

export async function openDatabase(target: DatabaseTarget, opts: OpenOptions = {}): Promise<Database> {
  const options = opts.statementLog ? { ...drizzleOptions, logger: statementLogger(opts.statementLog) } : drizzleOptions;
  return target.kind === 'pglite'
    ? openPglite(target.dataDir, target.loadDataDir, options)
    : openPostgres(target.url, target.poolMax ?? 10, opts.log, options);
}

/** A Drizzle logger that passes on each statement's text only. */
function statementLogger(statementLog: (text: string) => void) {
  return { logQuery: (text: string) => statementLog(text) };
}

/** PGlite with the extensions our migrations use (pg_trgm backs inbox search, migration 0001). */
export const PGLITE_EXTENSIONS = { pg_trgm };

/** An open PGlite as a Database: a data directory (locked, with a snapshot socket beside it), or memory. */
async function openPglite(dataDir: string | null, loadDataDir: Blob | undefined, options: DrizzleOptions): Promise<Database> {
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
  const db: Db = drizzlePglite({ client, ...options });
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

/**
 * A pg client that always listens for 'error'. A connection lent out of the pool (a Drizzle transaction, the
 * advisory lock) has no listener of the pool's, and a connection the server ends (a restart, a failover,
 * `pg_terminate_backend`, a pooler, a network reset) emits 'error' on its client: unheard, that is an uncaught
 * exception and the process dies. Heard, the statement under way rejects with the same error, the pool drops the
 * connection when it is released, and the next statement opens a new one.
 */
function guardedClientClass(onError: (error: Error) => void) {
  return class GuardedClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      this.on('error', onError);
    }
  };
}

async function openPostgres(url: string, max: number, log: Logger | undefined, options: DrizzleOptions): Promise<Database> {
  const gate = createLogGate(5_000);
  const onError = (error: Error) =>
    gate('connection', () => log?.warn({ err: describeDbError(error) }, 'a database connection was lost; the pool opens a new one when needed'));
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    application_name: 'threadline',
    // a connection the network silently dropped is noticed (and replaced) instead of hanging until the OS gives up
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    Client: guardedClientClass(onError),
  });
  // An idle client that errors is dropped by the pool (and was heard by its own listener above).
  pool.on('error', () => undefined);
  const db: Db = drizzlePg({ client: pool, ...options });
  return {
    kind: 'postgres',
    db,
    boss: { connectionString: url, max: Math.max(2, Math.ceil(max / 2)) },
    ping: async () => {
      await pool.query('select 1');
    },
    snapshot: null,
    listen: (channel, onPayload, onReconnect) => listenPostgres(url, channel, onPayload, onReconnect, log),
    withAdvisoryLock: async (key, fn) => {
      const conn = await pool.connect();
      try {
        await conn.query('select pg_advisory_lock($1)', [key]);
        try {
          return await fn(drizzlePg({ client: conn, ...options }));
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
 * Runs `fn`, and while it fails because the database cannot be reached (not started yet, restarting, failing
 * over), waits for it with capped back-off and runs it again, saying why in the log. Any other failure (a wrong
 * password, a database that does not exist, a failed migration) is thrown at once: waiting would not mend it.
 */
export async function whileUnreachable<T>(what: string, fn: () => Promise<T>, log: Logger, opts: { maxDelayMs?: number; signal?: AbortSignal } = {}): Promise<T> {
  let delay = 250;
  const maxDelay = opts.maxDelayMs ?? 5_000;
  let waited = false;
  for (;;) {
    opts.signal?.throwIfAborted();
    try {
      const result = await fn();
      if (waited) log.info({ step: what }, 'the database is reachable again');
      return result;
    } catch (error) {
      if (!isConnectionError(error)) throw error;
      waited = true;
      log.warn({ step: what, err: describeDbError(error), retryInMs: delay }, 'waiting for the database');
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, maxDelay);
    }
  }
}

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

const LISTEN_HEARTBEAT_MS = 10_000;
const LISTEN_HEARTBEAT_TIMEOUT_MS = 5_000;

/**
 * A dedicated connection for LISTEN (a pooled one would be handed to others). It is kept for as long as the caller
 * listens: a connection that errors, ends, or stops answering its heartbeat (a network that dropped it silently) is
 * replaced with capped back-off, LISTEN is run again, and `onReconnect` lets the caller catch up on what it missed.
 * If the database cannot be reached when listening starts, the first connection is made in the background the same
 * way (and `onReconnect` runs once it is): a process started while PostgreSQL is down listens as soon as it is up.
 */
async function listenPostgres(url: string, channel: string, onPayload: (payload: string) => void, onReconnect: (() => void) | undefined, log: Logger | undefined) {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid channel name ${channel}`);
  let client: pg.Client | null = null;
  let stopped = false;
  let delay = 250;
  let retryTimer: NodeJS.Timeout | null = null;
  let heartbeatTimer: NodeJS.Timeout | null = null;
  const gate = createLogGate(10_000);

  const drop = (c: pg.Client, error: unknown) => {
    if (client !== c) return;
    client = null;
    if (heartbeatTimer) clearTimeout(heartbeatTimer);
    heartbeatTimer = null;
    c.removeAllListeners('notification');
    void c.end().catch(() => undefined);
    if (stopped) return;
    gate('lost', () => log?.warn({ channel, err: describeDbError(error) }, 'LISTEN connection lost; reconnecting'));
    schedule();
  };

  const heartbeat = (c: pg.Client) => {
    heartbeatTimer = setTimeout(() => {
      heartbeatTimer = null;
      if (client !== c) return;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('database stalled: no answer to the LISTEN heartbeat')), LISTEN_HEARTBEAT_TIMEOUT_MS);
      });
      Promise.race([c.query('select 1'), deadline])
        .then(() => {
          if (client === c) heartbeat(c);
        })
        .catch((error: unknown) => drop(c, error))
        .finally(() => clearTimeout(timer));
    }, LISTEN_HEARTBEAT_MS);
    heartbeatTimer.unref();
  };

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url, application_name: 'threadline-listen', keepAlive: true, keepAliveInitialDelayMillis: 10_000, connectionTimeoutMillis: 5_000 });
    c.on('notification', (msg) => {
      if (msg.channel === channel && msg.payload !== undefined) onPayload(msg.payload);
    });
    c.on('error', (error) => drop(c, error));
    c.on('end', () => drop(c, new Error('Connection terminated')));
    client = c;
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
    } catch (error) {
      if (client === c) client = null;
      c.removeAllListeners('notification');
      void c.end().catch(() => undefined);
      throw error;
    }
    if (stopped) {
      client = null;
      await c.end().catch(() => undefined);
      return;
    }
    heartbeat(c);
  };

  function schedule(): void {
    if (stopped || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      if (stopped || client) return;
      connect().then(
        () => {
          if (stopped) return;
          delay = 250;
          log?.info({ channel }, 'LISTEN connection restored');
          onReconnect?.();
        },
        (error: unknown) => {
          gate('retry', () => log?.warn({ channel, err: describeDbError(error) }, 'LISTEN: the database cannot be reached yet; retrying'));
          delay = Math.min(delay * 2, 5_000);
          schedule();
        },
      );
    }, delay);
  }

  try {
    await connect();
  } catch (error) {
    gate('retry', () => log?.warn({ channel, err: describeDbError(error) }, 'LISTEN: the database cannot be reached yet; retrying in the background'));
    schedule();
  }
  return async () => {
    stopped = true;
    if (retryTimer) clearTimeout(retryTimer);
    if (heartbeatTimer) clearTimeout(heartbeatTimer);
    const c = client;
    client = null;
    await c?.end().catch(() => undefined);
  };
}
