// Threadline as its own processes for the fault suite: started with Node 24 on 127.0.0.1, their output kept in files
// (the suite reads them for message text), killed with SIGKILL when a scenario says so, and watched for deaths
// nobody asked for.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../bench/lib/processes.ts';

const MAIN = path.resolve(import.meta.dirname, '../../packages/server/src/main.ts');

export type Role = 'serve' | 'api' | 'worker';

export type Member = {
  name: string;
  role: Role;
  port: number;
  origin: string;
  logFile: string;
  /** the running child, or null while it is down */
  child: ChildProcess | null;
};

export type Cluster = {
  members: Member[];
  /** origins of the processes that answer Meta (serve, api) */
  httpOrigins(): string[];
  start(member: Member): Promise<number>;
  /** SIGKILL, and waits until it is gone. */
  kill(member: Member): Promise<void>;
  /** Exits nobody asked for (a crash), with the process and its code. */
  deaths: { name: string; code: number | null; signal: string | null }[];
  stop(): Promise<void>;
};

async function waitReady(origin: string, child: ChildProcess, ms: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < ms) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('exited while starting');
    try {
      const res = await fetch(`${origin}/readyz`, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.status === 200) return performance.now() - started;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error(`not ready within ${ms} ms`);
}

/**
 * `roles`: e.g. ['serve'] (one process, as `npm start`) or ['api', 'worker', 'worker'] (`serve --no-workers` answering
 * Meta, workers processing and delivering). Every process gets `env` and a port of its own.
 */
export async function createCluster(opts: { roles: Role[]; env: Record<string, string>; logDir: string }): Promise<Cluster> {
  fs.mkdirSync(opts.logDir, { recursive: true });
  const deaths: Cluster['deaths'] = [];
  const killing = new Set<ChildProcess>();
  const members: Member[] = [];
  for (const [i, role] of opts.roles.entries()) {
    const port = await freePort();
    members.push({ name: `${role}${i}`, role, port, origin: `http://127.0.0.1:${port}`, logFile: path.join(opts.logDir, `${role}${i}.log`), child: null });
  }

  async function start(member: Member): Promise<number> {
    const args = member.role === 'worker' ? ['worker'] : member.role === 'api' ? ['serve', '--no-workers'] : ['serve'];
    const out = fs.openSync(member.logFile, 'a');
    const child = spawn(process.execPath, [MAIN, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...opts.env, PORT: String(member.port) },
      stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
    member.child = child;
    child.on('exit', (code, signal) => {
      if (!killing.has(child)) deaths.push({ name: member.name, code, signal });
      killing.delete(child);
      if (member.child === child) member.child = null;
    });
    if (member.role === 'worker') {
      // a worker serves no HTTP: it is ready when it says so in its log
      const started = performance.now();
      const offset = fs.statSync(member.logFile).size;
      while (performance.now() - started < 120_000) {
        if (child.exitCode !== null) throw new Error(`${member.name} exited with ${child.exitCode}; see ${member.logFile}`);
        const fd = fs.openSync(member.logFile, 'r');
        const size = fs.fstatSync(fd).size;
        const buffer = Buffer.alloc(Math.max(0, size - offset));
        fs.readSync(fd, buffer, 0, buffer.length, offset);
        fs.closeSync(fd);
        if (buffer.toString('utf8').includes('Threadline worker is running')) return performance.now() - started;
        await sleep(50);
      }
      throw new Error(`${member.name} did not start within 120 s; see ${member.logFile}`);
    }
    return waitReady(member.origin, child, 120_000).catch((error: unknown) => {
      throw new Error(`${member.name} did not start: ${error instanceof Error ? error.message : error}; see ${member.logFile}`);
    });
  }

  async function kill(member: Member): Promise<void> {
    const child = member.child;
    if (!child || child.exitCode !== null) return;
    killing.add(child);
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await gone;
  }

  return {
    members,
    httpOrigins: () => members.filter((m) => m.role !== 'worker' && m.child !== null).map((m) => m.origin),
    start,
    kill,
    deaths,
    async stop() {
      for (const m of members) {
        const child = m.child;
        if (!child || child.exitCode !== null) continue;
        killing.add(child);
        const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await gone;
        clearTimeout(timer);
      }
    },
  };
}

/** Every line of the cluster's logs that contains one of `needles` (message texts must never be logged). */
export function logLinesContaining(cluster: Cluster, needle: string): string[] {
  const hits: string[] = [];
  for (const m of cluster.members) {
    if (!fs.existsSync(m.logFile)) continue;
    for (const line of fs.readFileSync(m.logFile, 'utf8').split('\n')) if (line.includes(needle)) hits.push(`${m.name}: ${line.slice(0, 300)}`);
  }
  return hits;
}
