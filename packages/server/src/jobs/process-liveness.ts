import os from 'node:os';
import { describeDbError } from '../shared/db-errors.ts';
import { createLogGate, type Logger } from '../shared/logger.ts';
import type { ProcessesRepository } from './processes.repository.ts';

/** A process beats this often... */
export const HEARTBEAT_MS = 1_000;
/** ...and counts as dead when it has not beaten for this long (by the database's clock): its claims are over. */
export const DEAD_AFTER_MS = 5_000;
/** Rows of processes silent this long are removed. */
const FORGET_AFTER_MS = 24 * 3_600_000;

/**
 * Work taken over from dead processes, run every few seconds by processes that run workers. `deadAfterMs`: a
 * process that has not beaten for this long (by the database's clock) is dead.
 */
export type RecoveryTask = { name: string; run(deadAfterMs: number): Promise<number> };

export type ProcessLivenessDeps = {
  /** This process's id (made by the composition root, which hands it to whatever records claims). */
  id: string;
  repo: ProcessesRepository;
  role: string;
  log: Logger;
  /** Run every `recoverEveryMs` once `startRecovery` is called (processes running workers). */
  recovery?: readonly RecoveryTask[];
  recoverEveryMs?: number;
};

/**
 * This process's row in the registry: its id goes into every claim it makes (a CRM delivery under way, a message
 * being sent), and its heartbeat says the claims still stand. A process killed with -9, crashed, or cut off from the
 * database stops beating; `DEAD_AFTER_MS` later its claims count as over, so the next process (or this one,
 * restarted) takes the work over within seconds instead of waiting out a lease. While the database is unreachable the
 * heartbeat fails quietly and resumes when it is back; a row another process removed meanwhile is written again.
 */
export function createProcessLiveness(deps: ProcessLivenessDeps) {
  const { id } = deps;
  const gate = createLogGate(10_000);
  const row = { id, role: deps.role, host: os.hostname(), pid: process.pid };
  let beatTimer: NodeJS.Timeout | null = null;
  let recoverTimer: NodeJS.Timeout | null = null;
  let registered = false;
  // one beat, and one recovery pass, at a time: a slow database must not pile them up
  let beating: Promise<void> = Promise.resolve();
  let recovering: Promise<void> = Promise.resolve();

  async function beat(): Promise<void> {
    try {
      if (!registered || !(await deps.repo.beat(id))) {
        await deps.repo.register(row);
        registered = true;
      }
    } catch (error) {
      gate('beat', () => deps.log.warn({ err: describeDbError(error) }, 'process heartbeat failed (is the database unreachable?); retrying'));
    }
  }

  async function recover(): Promise<void> {
    for (const task of deps.recovery ?? []) {
      try {
        const n = await task.run(DEAD_AFTER_MS);
        if (n > 0) deps.log.info({ task: task.name, count: n }, 'took over work of a process that stopped');
      } catch (error) {
        gate(`recover:${task.name}`, () => deps.log.warn({ task: task.name, err: error }, 'taking over work of stopped processes failed; retrying'));
      }
    }
  }

  return {
    id,
    deadAfterMs: DEAD_AFTER_MS,
    /** Registers the process (a failed first beat is retried, never thrown) and starts beating. */
    async start(): Promise<void> {
      if (beatTimer) return;
      await beat();
      beatTimer = setInterval(() => {
        beating = beating.then(beat);
      }, HEARTBEAT_MS);
      beatTimer.unref();
    },
    /** From now on the recovery tasks run every `recoverEveryMs` (a process that runs workers). */
    startRecovery(): void {
      if (recoverTimer || (deps.recovery?.length ?? 0) === 0) return;
      recoverTimer = setInterval(() => {
        recovering = recovering.then(recover);
      }, deps.recoverEveryMs ?? 2_000);
      recoverTimer.unref();
    },
    /** Runs the recovery tasks now (tests, tools). */
    recoverNow: recover,
    /** Stops beating and removes the row: this process's claims are over at once. */
    async stop(): Promise<void> {
      if (recoverTimer) clearInterval(recoverTimer);
      if (beatTimer) clearInterval(beatTimer);
      recoverTimer = null;
      beatTimer = null;
      await Promise.all([beating, recovering]);
      try {
        await deps.repo.remove(id);
        await deps.repo.forgetSilentFor(FORGET_AFTER_MS);
      } catch (error) {
        deps.log.warn({ err: describeDbError(error) }, 'could not remove this process from the registry; it counts as dead in a few seconds');
      }
    },
  };
}
export type ProcessLiveness = ReturnType<typeof createProcessLiveness>;
