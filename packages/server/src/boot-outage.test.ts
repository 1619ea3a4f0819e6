import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProxiedDatabase, type ProxiedDatabase } from '../test/proxied-database.ts';
import { buildApp, type Threadline } from './app.ts';
import { loadConfig } from './config.ts';
import { logSerializers } from './shared/logger.ts';

const adminUrl = process.env.TEST_DATABASE_URL;

/**
 * Booting against a PostgreSQL that is not there yet (issue 17, item 1): the process waits for it, saying why in its
 * log, and starts once it answers; a database that does not exist is a boot error at once (waiting would not mend it).
 */
describe.skipIf(!adminUrl)('a process started while PostgreSQL is down (PostgreSQL)', () => {
  let proxied: ProxiedDatabase;
  let dataDir: string;
  beforeAll(async () => {
    proxied = await createProxiedDatabase(adminUrl ?? '', 'tl_boot');
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-boot-'));
  });
  afterAll(async () => {
    await proxied.proxy.accept();
    await proxied.dispose();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const boot = (databaseUrl: string) => {
    const lines: string[] = [];
    const logger = pino({ level: 'info', serializers: logSerializers }, { write: (line: string) => void lines.push(line) });
    const config = loadConfig({ SESSION_SECRET: 'boot-test-session-secret-0123456789-abcdefghijklmnopqrstuvwxyz', DATA_DIR: dataDir, DATABASE_URL: databaseUrl, LOG_LEVEL: 'info' });
    return { lines, started: buildApp(config, { logger }) };
  };

  it('waits for the database, logging why, and serves once it answers', async () => {
    await proxy().refuse();
    const { lines, started } = boot(proxied.url);
    let settled = false;
    void started.then(
      () => void (settled = true),
      () => void (settled = true),
    );
    const deadline = Date.now() + 10_000;
    while (!lines.some((l) => l.includes('waiting for the database')) && Date.now() < deadline) await sleep(50);
    const waiting = lines.find((l) => l.includes('waiting for the database'));
    expect(waiting, 'a log line saying it waits for the database').toBeDefined();
    expect(JSON.parse(waiting ?? '{}')).toMatchObject({ step: 'migrations', err: { type: expect.any(String) } });
    await sleep(1_000);
    expect(settled, 'the boot neither finished nor failed while the database was down').toBe(false);

    await proxy().accept();
    let app: Threadline | undefined;
    try {
      app = await started;
      expect(lines.some((l) => l.includes('the database is reachable again'))).toBe(true);
      expect((await app.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    } finally {
      await app?.close();
    }
  });

  it('fails at once when the database does not exist', async () => {
    const missing = new URL(adminUrl ?? '');
    missing.pathname = '/tl_boot_no_such_database';
    const { lines, started } = boot(missing.toString());
    const at = performance.now();
    await expect(started).rejects.toThrow();
    expect(performance.now() - at).toBeLessThan(5_000);
    expect(lines.some((l) => l.includes('waiting for the database'))).toBe(false);
  });

  const proxy = () => proxied.proxy;
});
