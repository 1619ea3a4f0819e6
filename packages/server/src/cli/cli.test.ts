import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAIN, runCli } from '../../test/cli.ts';
import { freePort } from '../../test/net.ts';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-cli-'));

const run = (args: string[], input?: string, env: Record<string, string> = {}) => runCli(args, { DATA_DIR: dataDir, ...env }, input ?? '');

describe('the threadline command line', () => {
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('lists its commands with --help', async () => {
    const res = await run(['--help']);
    expect(res.code).toBe(0);
    for (const name of ['serve', 'worker', 'migrate', 'user create', 'rotate-keys', 'migrate-tokens']) {
      expect(res.stdout).toContain(name);
    }
    const one = await run(['user', 'create', '--help']);
    expect(one.stdout).toContain('--username');
  });

  it('prints its version, and the commands of a group with "user --help" and "webhooks --help"', async () => {
    const version = await run(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^threadline \d+\.\d+\.\d+/);
    const user = await run(['user', '--help']);
    expect(user.code).toBe(0);
    expect(user.stdout).toContain('user create');
    const webhooks = await run(['webhooks', '--help']);
    expect(webhooks.code).toBe(0);
    expect(webhooks.stdout).toContain('webhooks reprocess');
    const wrong = await run(['user', 'delete']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('Unknown command "user delete"');
  });

  it('puts stored webhook events back in the queue with webhooks reprocess --since', async () => {
    const res = await run(['webhooks', 'reprocess', '--since', '2h', '--wait']);
    expect(res.stderr).toBe('');
    expect(res.stdout).toMatch(/Queued 0 webhook events received since/);
    const bad = await run(['webhooks', 'reprocess', '--since', 'yesterday']);
    expect(bad.code).toBe(2);
  });

  it('fails the boot with the list of configuration problems', async () => {
    const res = await run(['migrate'], undefined, { PORT: 'x', DATABASE_URL: 'postgres://h/db' });
    expect(res.code).toBe(78);
    expect(res.stderr).toContain('PORT');
    expect(res.stderr).toContain('SESSION_SECRET: required');
  });

  it('creates a user with the password from standard input, and refuses a duplicate', async () => {
    const res = await run(['user', 'create', '--username', 'alice', '--admin'], 'a-strong-password\n');
    expect(res.stderr).toBe('');
    expect(res.stdout).toContain('Created user alice (administrator)');
    const again = await run(['user', 'create', '--username', 'alice'], 'another-password\n');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already taken');
  });

  it('issues a one-time password-reset link with user reset-password', async () => {
    const res = await run(['user', 'reset-password', '--username', 'alice']);
    expect(res.stderr).toBe('');
    expect(res.stdout).toMatch(/Password-reset link for alice \(single use, until .+\):\nhttp:\/\/localhost:8000\/reset-password#[A-Za-z0-9_-]{40,}/);
    const unknown = await run(['user', 'reset-password', '--username', 'nobody']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No such user');
  });

  it('serves, and stops cleanly on SIGTERM releasing the database', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN, 'serve'], {
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'info', LOG_PRETTY: 'false' },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    for (let i = 0; i < 150 && !output.includes('Threadline is running'); i += 1) {
      await new Promise((r) => setTimeout(r, 200));
    }
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/ui/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'a-strong-password' }),
    });
    expect(res.status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(fs.existsSync(path.join(dataDir, 'pglite', 'threadline.lock'))).toBe(false);
    expect(output).not.toContain('a-strong-password');
  });
});
