// The inbox benchmark's own database handle: one connection (PostgreSQL) or the stopped server's PGlite directory
// (with pg_trgm, which the search indexes need), plus a Drizzle instance over the same connection whose logger
// records the SQL text and parameters the server's repositories generate, so the bench can EXPLAIN exactly that.
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import type { Db } from '../../packages/server/src/db/client.ts';
import * as schema from '../../packages/server/src/db/schema/index.ts';

export type Row = Record<string, unknown>;
export type CapturedQuery = { text: string; params: unknown[] };

export type InboxDb = {
  kind: 'postgres' | 'pglite';
  query(text: string, params?: unknown[]): Promise<Row[]>;
  /** A Drizzle database shaped like the server's, for calling its repositories. */
  db: Db;
  /** Runs `fn` and returns every statement Drizzle sent meanwhile. */
  capture(fn: () => Promise<unknown>): Promise<CapturedQuery[]>;
  close(): Promise<void>;
};

function capturingLogger() {
  let sink: CapturedQuery[] | null = null;
  return {
    logger: { logQuery: (text: string, params: unknown[]) => sink?.push({ text, params }) },
    async capture(fn: () => Promise<unknown>): Promise<CapturedQuery[]> {
      const seen: CapturedQuery[] = [];
      sink = seen;
      try {
        await fn();
      } finally {
        sink = null;
      }
      return seen;
    },
  };
}

export async function openInboxDbPg(url: string): Promise<InboxDb> {
  const client = new pg.Client({ connectionString: url, application_name: 'threadline-bench-inbox' });
  await client.connect();
  const { logger, capture } = capturingLogger();
  const db: Db = drizzlePg({ client, schema, casing: 'snake_case', logger });
  return {
    kind: 'postgres',
    query: async (text, params) => (await client.query<Row>(text, params)).rows,
    db,
    capture,
    close: () => client.end(),
  };
}

/** Opens a PGlite directory that no other process has open (the Threadline server that owns it must be stopped). */
export async function openInboxDbPglite(dir: string): Promise<InboxDb> {
  const client = await PGlite.create(dir, { extensions: { pg_trgm } });
  const { logger, capture } = capturingLogger();
  const db: Db = drizzlePglite({ client, schema, casing: 'snake_case', logger });
  return {
    kind: 'pglite',
    query: async (text, params) => (await client.query<Row>(text, params)).rows,
    db,
    capture,
    close: () => client.close(),
  };
}
