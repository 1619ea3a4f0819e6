// Child processes of the benchmarks: started with this Node, on 127.0.0.1, stopped by their own pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export type ServerProcess = { label: string; origin: string; pid: number | undefined; stop(): Promise<void>; recentOutput(): string };

/** A port the OS says is free right now (127.0.0.1 only). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('no port'))));
    });
  });
}

/**
 * `BENCH_THREADLINE_ENV=KEY=value,KEY=value`: extra settings for the Threadline processes a benchmark starts (for
 * experiments and profiling; a value cannot hold a comma).
 */
export function extraThreadlineEnv(spec: string | undefined): Record<string, string> {
  return Object.fromEntries(
    (spec ?? '')
      .split(',')
      .filter((kv) => /^\s*[A-Z_][A-Z0-9_]*=/.test(kv))
      .map((kv) => [kv.slice(0, kv.indexOf('=')).trim(), kv.slice(kv.indexOf('=') + 1).trim()]),
  );
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Starts `node <script> ...args` with exactly `env` (plus PATH and HOME) and waits until `readyPath` answers 200.
 * The last lines of its output are kept for error messages.
 */
export async function startServer(opts: {
  label: string;
  script: string;
  args?: string[];
  env: Record<string, string>;
  port: number;
  readyPath: string;
  readyTimeoutMs?: number;
}): Promise<ServerProcess> {
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    tail.push(chunk.toString('utf8'));
    if (tail.length > 40) tail.shift();
  };
  const child = spawn(process.execPath, [opts.script, ...(opts.args ?? [])], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const origin = `http://127.0.0.1:${opts.port}`;
  const recentOutput = () => tail.join('').slice(-4000);

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    if (!(await waitExit(child, 20_000))) {
      child.kill('SIGKILL');
      await waitExit(child, 5_000);
    }
  };

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${opts.label} exited with ${child.exitCode}:\n${recentOutput()}`);
    try {
      const res = await fetch(`${origin}${opts.readyPath}`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return { label: opts.label, origin, pid: child.pid, stop, recentOutput };
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  await stop();
  throw new Error(`${opts.label} was not ready within ${opts.readyTimeoutMs ?? 60_000} ms:\n${recentOutput()}`);
}

/**
 * Starts `node <script> ...args` with exactly `env` (plus PATH and HOME) for a process that serves no HTTP (a
 * background worker); it counts as started once it has run `settleMs` without exiting.
 */
export async function startBackground(opts: { label: string; script: string; args?: string[]; env: Record<string, string>; settleMs?: number }) {
  const tail: string[] = [];
  const child = spawn(process.execPath, [opts.script, ...(opts.args ?? [])], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer) => {
    tail.push(chunk.toString('utf8'));
    if (tail.length > 40) tail.shift();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  await sleep(opts.settleMs ?? 3_000);
  if (child.exitCode !== null) throw new Error(`${opts.label} exited with ${child.exitCode}:\n${tail.join('').slice(-4000)}`);
  return {
    pid: child.pid,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      if (!(await waitExit(child, 20_000))) {
        child.kill('SIGKILL');
        await waitExit(child, 5_000);
      }
    },
  };
}

/**
 * The environment every benchmark gives a Threadline process: its port and data directory, the Meta app secret the
 * bench signs with, quiet logs, and the Graph API pointed at a closed local port (nothing may leave the machine).
 */
export function threadlineBaseEnv(opts: { port: number; dataDir: string; appSecret: string; databaseUrl?: string }): Record<string, string> {
  return {
    PORT: String(opts.port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    LOG_PRETTY: 'false',
    SESSION_SECRET: randomBytes(36).toString('base64url'),
    INSTAGRAM_OAUTH_CLIENT_SECRET: opts.appSecret,
    INSTAGRAM_API_URL: 'http://127.0.0.1:9',
    INSTAGRAM_GRAPH_URL: 'http://127.0.0.1:9',
    DATA_DIR: opts.dataDir,
    ...(opts.databaseUrl ? { DATABASE_URL: opts.databaseUrl } : {}),
  };
}
