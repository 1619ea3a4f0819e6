import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runToEnd } from './processes.ts';

/**
 * The documented production install, in a copy of this checkout (the worktree keeps its dev dependencies):
 * npm ci && npm run build && npm prune --omit=dev && npm start, on a terminal (a pseudo-terminal made by
 * script(1): pretty logs) and off it (JSON logs), serving the web app.
 */
describe('a production install', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'threadline-install-'));
  const app = path.join(dir, 'threadline');
  // the whole environment: npm may need the machine's registry settings and CA certificates
  const env = (extra: Record<string, string> = {}) => ({ ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', LOG_PRETTY: 'auto', ...extra });
  const sh = (command: string, extra: Record<string, string> = {}) => {
    const r = spawnSync('sh', ['-c', command], { cwd: app, env: env(extra), encoding: 'utf8', timeout: 600_000 });
    if (r.status !== 0) throw new Error(`${command} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    return `${r.stdout}${r.stderr}`;
  };

  beforeAll(() => {
    // the checkout's files as they are now (committed or not), without node_modules, builds or data
    runToEnd('sh', ['-c', `mkdir -p "${app}" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "${app}" 2>/dev/null; true`]);
    sh('npm ci --prefer-offline');
    sh('npm run build');
    sh('npm prune --omit=dev --prefer-offline');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps only what runs: no test or build tools; the pretty logger stays for terminals', () => {
    // (npm keeps Vite itself: vue-router names it as an optional peer, and npm prunes no installed optional peer)
    for (const gone of ['vitest', 'drizzle-kit', 'playwright-core', 'eslint', '@vitejs/plugin-vue', 'happy-dom']) expect(existsSync(path.join(app, 'node_modules', gone)), gone).toBe(false);
    for (const kept of ['pino-pretty', 'prom-client', '@electric-sql/pglite', 'pg-boss']) expect(existsSync(path.join(app, 'node_modules', kept)), kept).toBe(true);
    expect(existsSync(path.join(app, 'packages/web/dist/index.html'))).toBe(true);
  });

  it('answers --version and the help of the command groups', () => {
    expect(sh('npm run --silent threadline -- --version').trim()).toMatch(/^threadline \d+\.\d+\.\d+/);
    expect(sh('node_modules/.bin/threadline user --help')).toContain('user create');
    expect(sh('node_modules/.bin/threadline webhooks --help')).toContain('webhooks reprocess');
  });

  for (const terminal of [true, false]) {
    it(`starts with npm start ${terminal ? 'on a terminal (pretty logs)' : 'off a terminal (JSON logs)'} and serves the web app`, async () => {
      const port = await freePort();
      const runEnv = env({ PORT: String(port), DATA_DIR: path.join(dir, terminal ? 'data-tty' : 'data-pipe'), TERM: 'xterm' });
      const child = terminal
        ? spawn('script', ['-qfec', 'npm start', '/dev/null'], { cwd: app, env: runEnv, detached: true, stdio: ['pipe', 'pipe', 'pipe'] })
        : spawn('npm', ['start'], { cwd: app, env: runEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
      child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
      try {
        let ready = false;
        for (let i = 0; i < 400 && !ready; i++) {
          if (child.exitCode !== null) throw new Error(`npm start exited (${child.exitCode}):\n${output}`);
          ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
          if (!ready) await new Promise((r) => setTimeout(r, 250));
        }
        expect(ready, output).toBe(true);
        const html = await (await fetch(`http://127.0.0.1:${port}/`)).text();
        const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1] ?? '';
        expect(script).not.toBe('');
        expect((await fetch(`http://127.0.0.1:${port}${script}`)).status).toBe(200);
        for (let i = 0; i < 100 && !output.includes('Threadline is running'); i++) await new Promise((r) => setTimeout(r, 100));
        const line = output.split('\n').find((l) => l.includes('Threadline is running')) ?? '';
        if (terminal) expect(line).toMatch(/INFO/);
        else expect(JSON.parse(line)).toMatchObject({ level: 30 });
      } finally {
        if (child.pid) process.kill(-child.pid, 'SIGTERM');
        await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null)));
      }
    });
  }
});
