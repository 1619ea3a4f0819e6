import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { queryRows, type Database, type Schema } from './client.ts';

export const MIGRATIONS_FOLDER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
/** Advisory-lock key that serialises migration runs of concurrently starting processes. */
const MIGRATION_LOCK_KEY = 0x7468_7264; // "thrd"

type Journal = { entries: { tag: string; when: number }[] };

function journal(): Journal {
  return JSON.parse(fs.readFileSync(path.join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as Journal;
}

/** Applies every committed migration that is not applied yet; safe to call from several processes at once. */
export async function runMigrations(database: Database): Promise<void> {
  await database.withAdvisoryLock(MIGRATION_LOCK_KEY, async (db) => {
    if (database.kind === 'pglite') {
      await migratePglite(db as PgliteDatabase<Schema>, { migrationsFolder: MIGRATIONS_FOLDER });
    } else {
      await migratePg(db as NodePgDatabase<Schema>, { migrationsFolder: MIGRATIONS_FOLDER });
    }
  });
}

/** The committed migrations not yet applied to this database (empty when it is up to date). */
export async function pendingMigrations(database: Database): Promise<string[]> {
  const entries = journal().entries;
  let applied: number;
  try {
    const [row] = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
    applied = row?.n ?? 0;
  } catch {
    applied = 0;
  }
  return entries.slice(applied).map((e) => e.tag);
}
