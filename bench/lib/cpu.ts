// Where the machine's CPU goes during a step, from /proc (Linux): the server process, PostgreSQL's processes, this
// benchmark process (the load generator) and the whole machine. Percentages are of one core (the machine has
// os.availableParallelism() of them).
import fs from 'node:fs';

export const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export function processTicks(pid: number): { comm: string; ticks: number } | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    // After "pid (comm) ": state is field 3, utime 14 and stime 15, so indexes 11 and 12 here.
    return { comm, ticks: Number(fields[11] ?? 0) + Number(fields[12] ?? 0) };
  } catch {
    return null;
  }
}

function postgresTicks(): Map<number, number> {
  const byPid = new Map<number, number>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = processTicks(Number(name));
    if (p && p.comm === 'postgres') byPid.set(Number(name), p.ticks);
  }
  return byPid;
}

function machineBusyTicks(): number {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return v.reduce((a, b) => a + b, 0) - idle;
}

export type CpuSnapshot = { at: number; server: number; postgres: Map<number, number>; bench: number; machine: number };
/** Shares are % of one core over the window; `seconds` is the window's length. */
export type CpuShare = { server: number; postgres: number; bench: number; machine: number; seconds: number };

export function cpuSnapshot(serverPid: number | undefined): CpuSnapshot {
  const usage = process.cpuUsage();
  return {
    at: performance.now(),
    server: serverPid ? (processTicks(serverPid)?.ticks ?? 0) : 0,
    postgres: postgresTicks(),
    bench: ((usage.user + usage.system) / 1e6) * TICKS_PER_SECOND,
    machine: machineBusyTicks(),
  };
}

export function cpuShare(a: CpuSnapshot, b: CpuSnapshot): CpuShare {
  const ticks = ((b.at - a.at) / 1000) * TICKS_PER_SECOND;
  const pct = (x: number) => (ticks > 0 ? (100 * x) / ticks : 0);
  // A backend that exited during the step takes its ticks with it (an underestimate, never a negative share).
  let postgres = 0;
  for (const [pid, ticks] of b.postgres) postgres += ticks - (a.postgres.get(pid) ?? 0);
  return {
    server: pct(b.server - a.server),
    postgres: pct(postgres),
    bench: pct(b.bench - a.bench),
    machine: pct(b.machine - a.machine),
    seconds: (b.at - a.at) / 1000,
  };
}

/** CPU milliseconds per event of a share taken over a window in which `events` were handled. */
export function cpuMsPerEvent(sharePct: number, seconds: number, events: number): number {
  return events > 0 ? ((sharePct / 100) * seconds * 1000) / events : NaN;
}
