import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { pino } from 'pino';
import { logSerializers, REDACT_PATHS } from '../src/shared/logger.ts';
import { buildApp, type AppOverrides, type Threadline } from '../src/app.ts';
import { loadConfig, type Env } from '../src/config.ts';
import { createTestDatabase } from './db.ts';

export const TEST_SESSION_SECRET = 'test-session-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
export const TEST_ORIGIN = 'http://localhost:8000';

export type TestApp = Threadline & { engine: string; logLines: string[] };

/**
 * The real app on a fresh migrated database (PGlite in memory, or a new PostgreSQL database when
 * TEST_DATABASE_URL is set). Log lines are captured so tests can prove no secret was written.
 */
export async function createTestApp(env: Env = {}, overrides: AppOverrides = {}): Promise<TestApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-test-'));
  const config = loadConfig({
    SESSION_SECRET: TEST_SESSION_SECRET,
    PUBLIC_BASE_URL: TEST_ORIGIN,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    ...env,
  });
  const database = overrides.database ?? (await createTestDatabase());
  const logLines: string[] = [];
  const logger = pino({ level: 'debug', serializers: logSerializers, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, { write: (line: string) => void logLines.push(line) });
  // Tests drive jobs by hand (`queue.runPending`) beside running workers: their workers poll, as before jobs woke them,
  // so a worker rarely takes a job first. The wake-up itself is tested in jobs/queue.test.ts and the deploy suite.
  // Nor do jobs run on their clock: a reconciliation due on the minute would change what a test looks at.
  const threadline = await buildApp(config, { logger, wakeWorkers: false, schedules: false, ...overrides, database });
  return {
    ...threadline,
    engine: database.kind,
    logLines,
    async close() {
      await threadline.close();
      await database.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Sets up the first administrator through the API and returns its session. */
export async function setupAdmin(t: Threadline, username = 'admin', password = 'correct horse battery') {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/setup', payload: { username, password } });
  if (res.statusCode !== 201) throw new Error(`setup failed: ${res.statusCode} ${res.body}`);
  return res.json<{ token: string; user_id: string; account_id: string | null }>();
}

export async function login(t: Threadline, username: string, password: string) {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/ui/session', payload: { username, password } });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  return res.json<{ token: string; user_id: string; account_id: string | null }>();
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
