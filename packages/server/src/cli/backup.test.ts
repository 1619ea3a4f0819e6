import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestApp, setupAdmin, login } from '../../test/app.ts';
import { runCli } from '../../test/cli.ts';
import { createAccount } from '../../test/factories.ts';
import { openDatabase } from '../db/client.ts';
import { runMigrations } from '../db/migrate.ts';
import { createCopyRepository } from '../db/copy/copy.repository.ts';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-backup-'));
const pgliteDir = path.join(dataDir, 'pglite');

const run = (args: string[]) => runCli(args, { DATA_DIR: dataDir });

describe('backup and restore of the embedded database', () => {
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('backs up a running Threadline consistently, and restores that state after later changes', async () => {
    const file = path.join(dataDir, 'threadline.backup');
    const database = await openDatabase({ kind: 'pglite', dataDir: pgliteDir });
    await runMigrations(database);
    const t = await createTestApp({}, { database });
    try {
      await setupAdmin(t, 'admin', 'correct horse battery');
      await createAccount(t.database.db, { username: 'before_backup' });

      // while it runs: the backup is asked of this process, over the socket beside the database
      const backup = await run(['backup', '--out', file]);
      expect(backup.stderr).toBe('');
      expect(backup.code).toBe(0);
      expect(backup.stdout).toMatch(/1 accounts, 0 conversations, 0 messages; migrations up to date/);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);

      await createAccount(t.database.db, { username: 'after_backup' });
      const refused = await run(['restore', '--from', file, '--force']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('stop Threadline first');
    } finally {
      await t.close();
    }

    const withoutForce = await run(['restore', '--from', file]);
    expect(withoutForce.code).toBe(1);
    expect(withoutForce.stderr).toContain('--force');
    const restore = await run(['restore', '--from', file, '--force']);
    expect(restore.stderr).toBe('');
    expect(restore.code).toBe(0);
    expect(fs.readdirSync(dataDir).some((f) => f.startsWith('pglite.replaced-'))).toBe(true);

    const restored = await openDatabase({ kind: 'pglite', dataDir: pgliteDir });
    const t2 = await createTestApp({}, { database: restored });
    try {
      expect((await login(t2, 'admin', 'correct horse battery')).token).toBeTruthy();
      const names = (await t2.database.db.query.accounts.findMany()).map((a) => a.username);
      expect(names).toEqual(['before_backup']);
      expect(await createCopyRepository(t2.database.db).count({ schema: 'public', name: 'users' })).toBe(1);
    } finally {
      await t2.close();
    }
    // five processes start in this test (three CLI runs, two apps): a bound against hangs on a loaded machine
  }, 400_000);

  it('says how to back up PostgreSQL instead', async () => {
    const res = await runCli(['backup', '--out', '/tmp/x'], { DATABASE_URL: 'postgres://127.0.0.1:1/none', SESSION_SECRET: 'k3J9-vQ2xT8_mW4pL7zR1nB6yH0cF5dS2aE9uG3' });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('pg_dump');
  });
});
