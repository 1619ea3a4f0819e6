import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import type { Config } from '../config.ts';
import { openDatabase, type Database } from '../db/client.ts';
import { copyDatabase, CopyRefusedError } from '../db/copy/database-copy.ts';
import { runMigrations } from '../db/migrate.ts';
import { acquireDirectoryLock, DatabaseLockedError } from '../db/pglite-lock.ts';
import { requestSnapshot } from '../db/pglite-snapshot.ts';
import { createQueue } from '../jobs/queue.ts';
import type { Command } from './command.ts';
import { describeDatabase, redactDatabaseUrl } from './database-summary.ts';

/** The embedded database's directory, or null (with the message printed) when DATABASE_URL points at PostgreSQL. */
function embeddedDir(config: Config, postgresAdvice: string): string | null {
  if (config.database.kind === 'pglite') return config.database.dataDir;
  console.error(`DATABASE_URL is set: this command is for the embedded database.\n${postgresAdvice}`);
  return null;
}

/**
 * A consistent snapshot of the embedded database: asked of the running process when there is one (its snapshot
 * socket), else taken from the directory, which the lock then keeps for us while we read.
 */
async function takeSnapshot(dir: string): Promise<Buffer> {
  const fromRunning = await requestSnapshot(dir);
  if (fromRunning) return fromRunning;
  const database = await openDatabase({ kind: 'pglite', dataDir: dir });
  try {
    const blob = await (database.snapshot?.() ?? Promise.reject(new Error('no snapshot on this engine')));
    return Buffer.from(await blob.arrayBuffer());
  } finally {
    await database.close();
  }
}

const openSnapshot = (bytes: Buffer) => openDatabase({ kind: 'pglite', dataDir: null, loadDataDir: new Blob([new Uint8Array(bytes)]) });

function writePrivately(file: string, bytes: Buffer): void {
  const partial = `${file}.partial`;
  fs.writeFileSync(partial, bytes, { mode: 0o600 });
  fs.renameSync(partial, file);
}

const refusal = (error: unknown) => error instanceof DatabaseLockedError || error instanceof CopyRefusedError;

export const databaseCommands: Record<string, Command> = {
  backup: {
    summary: 'Write a consistent snapshot of the embedded database to a file, while Threadline runs or not',
    usage:
      'Options: --out FILE (required; a gzipped tar of the database directory, mode 0600)\n' +
      'Back up DATA_DIR/session-secret (or your SESSION_SECRET) and the media directory alongside: stored tokens\n' +
      'cannot be decrypted without the secret. With PostgreSQL, use pg_dump (docs/operations.md).',
    options: { out: { type: 'string' } },
    async run({ config, values }) {
      const dir = embeddedDir(config, 'Back PostgreSQL up with pg_dump: pg_dump --format=custom --file=threadline.dump "$DATABASE_URL"');
      if (!dir) return 2;
      if (typeof values.out !== 'string' || values.out === '') {
        console.error('--out FILE is required');
        return 2;
      }
      const out = path.resolve(values.out);
      try {
        const bytes = await takeSnapshot(dir);
        const check = await openSnapshot(bytes);
        const summary = await describeDatabase(check).finally(() => check.close());
        writePrivately(out, bytes);
        console.log(`Wrote ${out} (${(bytes.length / 1_048_576).toFixed(1)} MiB): ${summary}.`);
        console.log(`Keep ${path.join(config.dataDir, 'session-secret')} (unless SESSION_SECRET is set) and ${config.media.dir} with it.`);
        return 0;
      } catch (error) {
        if (!refusal(error)) throw error;
        console.error(error instanceof Error ? error.message : String(error));
        return 1;
      }
    },
  },
  restore: {
    summary: 'Replace the embedded database with a backup (Threadline must be stopped)',
    usage:
      'Options: --from FILE (required, made by `threadline backup`), --force (replace a database that has data;\n' +
      'the old directory is kept beside it as pglite.replaced-<time>). With PostgreSQL, use pg_restore.',
    options: { from: { type: 'string' }, force: { type: 'boolean' } },
    async run({ config, values }) {
      const dir = embeddedDir(config, 'Restore PostgreSQL with pg_restore: pg_restore --clean --if-exists --dbname "$DATABASE_URL" threadline.dump');
      if (!dir) return 2;
      if (typeof values.from !== 'string' || !fs.existsSync(values.from)) {
        console.error('--from FILE is required and must exist');
        return 2;
      }
      let release: () => void;
      try {
        release = acquireDirectoryLock(dir);
      } catch (error) {
        if (!(error instanceof DatabaseLockedError)) throw error;
        console.error(`${error.message}\nA restore replaces the database: stop Threadline first.`);
        return 1;
      }
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const restoring = `${dir}.restoring-${stamp}`;
      try {
        const hasData = fs.existsSync(path.join(dir, 'PG_VERSION'));
        if (hasData && values.force !== true) {
          console.error(`${dir} holds a database. Add --force to replace it (it is kept as ${path.basename(dir)}.replaced-<time>).`);
          return 1;
        }
        const restored = await openDatabase({ kind: 'pglite', dataDir: restoring, loadDataDir: new Blob([new Uint8Array(fs.readFileSync(values.from))]) });
        const summary = await describeDatabase(restored).finally(() => restored.close());
        fs.rmSync(path.join(restoring, 'threadline.lock'), { force: true });
        const aside = `${dir}.replaced-${stamp}`;
        if (hasData) fs.renameSync(dir, aside);
        else fs.rmSync(dir, { recursive: true, force: true });
        fs.renameSync(restoring, dir);
        if (hasData) fs.rmSync(path.join(aside, 'threadline.lock'), { force: true });
        console.log(`Restored ${dir} from ${values.from}: ${summary}.${hasData ? ` The replaced database is in ${aside}.` : ''}`);
        console.log('Start Threadline: migrations newer than the backup are applied on start.');
        return 0;
      } finally {
        fs.rmSync(restoring, { recursive: true, force: true });
        release();
      }
    },
  },
  'db copy': {
    summary: 'Copy the embedded database into an empty PostgreSQL database, to move to PostgreSQL',
    usage:
      'Options: --to postgres://… (required: an empty database), --from FILE (a `threadline backup` instead of DATA_DIR)\n' +
      'Copies one consistent snapshot (while Threadline runs, or not), verifies every table\'s row count, and says how\n' +
      'to switch. For the final move, stop Threadline first so nothing arrives after the snapshot.',
    options: { to: { type: 'string' }, from: { type: 'string' } },
    async run({ config, values }) {
      const dir = embeddedDir(config, 'Unset DATABASE_URL for this command: it copies the embedded database in DATA_DIR.');
      if (!dir) return 2;
      const to = typeof values.to === 'string' ? values.to : '';
      if (!/^postgres(ql)?:\/\//.test(to)) {
        console.error('--to postgres://user:password@host:5432/database is required');
        return 2;
      }
      let source: Database | null = null;
      let target: Database | null = null;
      try {
        if (typeof values.from === 'string') source = await openSnapshot(fs.readFileSync(values.from));
        else {
          const snapshot = await requestSnapshot(dir);
          source = snapshot ? await openSnapshot(snapshot) : await openDatabase({ kind: 'pglite', dataDir: dir });
          console.log(snapshot ? 'Copying a snapshot of the running Threadline\'s database.' : `Copying ${dir} (Threadline is not running).`);
        }
        await runMigrations(source);
        target = await openDatabase({ kind: 'postgres', url: to, poolMax: 2 });
        const report = await copyDatabase({
          source,
          target,
          createJobSchema: async (db) => {
            const queue = createQueue(db, pino({ level: 'silent' }), { listen: false });
            await queue.start({ work: false });
            await queue.stop();
          },
          onProgress: (line) => console.log(line),
        });
        const rows = report.tables.reduce((n, t) => n + t.source, 0);
        console.log(`Copied ${rows} rows in ${report.tables.length} tables and ${report.sequences} sequences in ${(report.ms / 1000).toFixed(1)} s; every count matches.`);
        console.log(
          [
            'To switch: stop Threadline, then set',
            `  DATABASE_URL=${redactDatabaseUrl(to)}`,
            config.sessionSecret
              ? '  SESSION_SECRET (keep the value you use now: it decrypts the stored tokens)'
              : `  SESSION_SECRET=$(cat ${path.join(config.dataDir, 'session-secret')})   (the generated secret: it decrypts the stored tokens)`,
            'and start it again. Keep DATA_DIR until you are satisfied; it is no longer written to.',
          ].join('\n'),
        );
        return 0;
      } catch (error) {
        if (!refusal(error)) throw error;
        console.error(error instanceof Error ? error.message : String(error));
        return 1;
      } finally {
        await target?.close();
        await source?.close();
      }
    },
  },
};
