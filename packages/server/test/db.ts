import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import pg from 'pg';
import { openDatabase, type Database } from '../src/db/client.ts';
import { MIGRATIONS_FOLDER, runMigrations } from '../src/db/migrate.ts';
import { testConfig } from './test-config.ts';

/**
 * A fresh, migrated database for one test file. On a newcomer's laptop it is an in-memory PGlite;
 * with TEST_DATABASE_URL set (as `.ci/run` does) it is a brand-new database on that PostgreSQL server,
 * dropped again at the end.
 *
 * Both start from a migrated template rather than from nothing: a PGlite made from nothing runs initdb inside
 * WebAssembly and then every migration (about 2.5 s on the CI machine), one loaded from the tar of a migrated one
 * takes about 0.5 s; on PostgreSQL `create database … template` replaces running the migrations (0.3 s → 0.05 s).
 * The template is named by a hash of the migrations, so a changed or added migration makes a new one, and making it
 * runs every migration from nothing, as a new install does.
 */
export async function createTestDatabase(): Promise<Database & { engine: string }> {
  const adminUrl = testConfig.databaseUrl;
  if (!adminUrl) {
    const database = await openDatabase({ kind: 'pglite', dataDir: null, loadDataDir: await pgliteTemplate() });
    return { ...database, engine: 'pglite' };
  }
  const name = `tl_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  postgresTemplateName ??= postgresTemplate(adminUrl);
  const template = await postgresTemplateName;
  await adminQuery(`create database ${name} template ${template}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ kind: 'postgres', url: url.toString(), poolMax: 5 });
  return {
    ...database,
    engine: 'postgres',
    close: async () => {
      await database.close();
      await adminQuery(`drop database if exists ${name} with (force)`);
    },
  };
}

/** A short hash of every migration file and of the PGlite build that will load the template. */
function migrationsHash(): string {
  const hash = createHash('sha256');
  const files = fs.readdirSync(MIGRATIONS_FOLDER, { recursive: true, encoding: 'utf8' }).sort();
  for (const file of files) {
    const full = path.join(MIGRATIONS_FOLDER, file);
    if (!fs.statSync(full).isFile()) continue;
    hash.update(file).update('\0').update(fs.readFileSync(full)).update('\0');
  }
  const pglite = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  hash.update(fs.readFileSync(path.join(path.dirname(pglite), '..', 'package.json')));
  return hash.digest('hex').slice(0, 16);
}

let pgliteTemplateBlob: Promise<Blob> | undefined;
let postgresTemplateName: Promise<string> | undefined;

/**
 * The uncompressed tar of a migrated PGlite, kept in the system's temporary directory so that each test file (each
 * its own module scope) reads it instead of making it; several workers making it at once each write their own file
 * and rename it into place.
 */
function pgliteTemplate(): Promise<Blob> {
  pgliteTemplateBlob ??= (async () => {
    const file = path.join(os.tmpdir(), `threadline-test-pglite-${migrationsHash()}.tar`);
    if (!fs.existsSync(file)) {
      const database = await openDatabase({ kind: 'pglite', dataDir: null });
      try {
        await runMigrations(database);
        if (!database.snapshot) throw new Error('an in-memory PGlite has no snapshot');
        const tar = gunzipSync(Buffer.from(await (await database.snapshot()).arrayBuffer()));
        const partial = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
        fs.writeFileSync(partial, tar);
        fs.renameSync(partial, file);
      } finally {
        await database.close();
      }
    }
    return new Blob([fs.readFileSync(file)]);
  })();
  return pgliteTemplateBlob;
}

/**
 * A migrated database on the TEST_DATABASE_URL server to copy each test database from. It is made under an advisory
 * lock (the test workers start at once), migrated under another name and renamed when complete, so a run that died
 * half-way never leaves a template that looks whole.
 */
async function postgresTemplate(adminUrl: string): Promise<string> {
  const name = `tl_template_${migrationsHash()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  admin.on('error', () => undefined);
  await admin.connect();
  try {
    await admin.query('select pg_advisory_lock(hashtext($1))', [name]);
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (!rowCount) {
      const partial = `${name}_partial`;
      await admin.query(`drop database if exists ${partial} with (force)`);
      await admin.query(`create database ${partial}`);
      const url = new URL(adminUrl);
      url.pathname = `/${partial}`;
      const database = await openDatabase({ kind: 'postgres', url: url.toString(), poolMax: 2 });
      try {
        await runMigrations(database);
      } finally {
        await database.close();
      }
      await admin.query(`alter database ${partial} rename to ${name}`);
    }
    return name;
  } finally {
    await admin.end();
  }
}

export function testDatabaseUrl(): string | undefined {
  return testConfig.databaseUrl ?? undefined;
}

/** Runs one statement on the TEST_DATABASE_URL server itself (create or drop a database of a test's own). */
export async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: testConfig.databaseUrl ?? undefined });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
