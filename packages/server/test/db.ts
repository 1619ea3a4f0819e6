import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../src/db/client.ts';
import { runMigrations } from '../src/db/migrate.ts';

/**
 * A fresh, migrated database for one test file. On a newcomer's laptop it is an in-memory PGlite;
 * with TEST_DATABASE_URL set (as `.ci/run` does) it is a brand-new database on that PostgreSQL server,
 * dropped again at the end.
 */
export async function createTestDatabase(): Promise<Database & { engine: string }> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    const database = await openDatabase({ kind: 'pglite', dataDir: null });
    await runMigrations(database);
    return { ...database, engine: 'pglite' };
  }
  const name = `tl_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ kind: 'postgres', url: url.toString(), poolMax: 5 });
  await runMigrations(database);
  return {
    ...database,
    engine: 'postgres',
    close: async () => {
      await database.close();
      const cleanup = new pg.Client({ connectionString: adminUrl });
      await cleanup.connect();
      await cleanup.query(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    },
  };
}

export function testDatabaseUrl(): string | undefined {
  return process.env.TEST_DATABASE_URL;
}

/** Runs one statement on the TEST_DATABASE_URL server itself (create or drop a database of a test's own). */
export async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
