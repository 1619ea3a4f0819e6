import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const MAIN = path.join(ROOT, 'packages/server/src/main.ts');

export { freePort } from '../../packages/server/test/net.ts';

export type Proc = { name: string; child: ChildProcess; log: () => string; stop(): Promise<void> };

/** A child process whose output is kept (the last 40 kB) for the failure message, stopped with SIGTERM. */
export function startProcess(name: string, command: string, args: string[], env: Record<string, string>): Proc {
  const child = spawn(command, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (b: Buffer) => {
    log = (log + b.toString('utf8')).slice(-40_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return {
    name,
    child,
    log: () => log,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `url` until it answers 2xx; fails early (with the log) when the process exits. */
export async function waitFor(url: string, proc: Proc, init: RequestInit = {}): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (proc.child.exitCode !== null) throw new Error(`${proc.name} exited (${proc.child.exitCode}):\n${proc.log()}`);
    try {
      const res = await fetch(url, init);
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${proc.name} did not answer ${url}:\n${proc.log()}`);
}

/** A Threadline process (`serve`, `serve --no-workers`, `worker`, …) from this checkout. */
export function startThreadline(name: string, args: string[], env: Record<string, string>): Proc {
  return startProcess(name, process.execPath, [MAIN, ...args], { LOG_PRETTY: 'false', LOG_LEVEL: 'warn', ...env });
}

/** Runs a command to its end; throws with its output when it fails. */
export function runToEnd(command: string, args: string[], env: Record<string, string> = {}): string {
  const r = spawnSync(command, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return `${r.stdout}${r.stderr}`;
}
