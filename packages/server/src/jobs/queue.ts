import { sql, type SQL } from 'drizzle-orm';
import { fromDrizzle, PgBoss, type Job, type JobResult, type Queue as BossQueue, type SendOptions } from 'pg-boss';
import type { Database, Db } from '../db/client.ts';
import { isConnectionError, safeErrorMessage } from '../shared/db-errors.ts';
import { createLogGate, type Logger } from '../shared/logger.ts';

/** A named background task with a typed payload, its retry policy and an idempotent handler. */
export type JobDefinition<T extends object> = {
  name: string;
  /** pg-boss's queue options: retries, expiry, a dead-letter queue (defined before the queue that names it). */
  queue?: Omit<BossQueue, 'name'>;
  /** How many jobs one process handles at once. */
  concurrency?: number;
  /** Jobs fetched per poll by each of those workers (handled one after another, each settled on its own). */
  batchSize?: number;
  pollingIntervalSeconds?: number;
  /** A cron expression when the task runs on a schedule. */
  schedule?: string;
  handler: (data: T, job: Job<T>) => Promise<void>;
};

export type Queue = {
  boss: PgBoss;
  define<T extends object>(definition: JobDefinition<T>): void;
  send<T extends object>(name: string, data: T, options?: SendOptions): Promise<string | null>;
  /** Enqueues inside the caller's transaction: the job exists exactly when the rows it is about do. */
  sendInTx<T extends object>(tx: Db, name: string, data: T, options?: SendOptions): Promise<string | null>;
  /** Runs the waiting jobs of one queue now, in the calling task; answers how many ran. */
  runPending(name: string, limit?: number): Promise<number>;
  /** Creates queues (always) and starts workers and schedules (when `work` is true). */
  start(opts: { work: boolean }): Promise<void>;
  stop(): Promise<void>;
};

/**
 * Every job reports it is alive this often (pg-boss refreshes it at half the interval while the handler runs); a job
 * whose process died is failed and retried a monitor pass after its heartbeat lapses, not at its expiry. pg-boss
 * allows no less than 10 s.
 */
export const JOB_HEARTBEAT_SECONDS = 10;

/** pg-boss on the same database as everything else: its own pool on PostgreSQL, the one PGlite otherwise. */
export function createQueue(database: Database, log: Logger): Queue {
  const boss = new PgBoss({
    ...database.boss,
    schema: 'pgboss',
    ...(database.kind === 'pglite' ? { backend: 'pglite' as const } : {}),
    // Jobs with a heartbeat (see JOB_HEARTBEAT_SECONDS) whose process died are failed, and so retried, at the next
    // monitor pass after their heartbeat lapses: within seconds, not at their expiry.
    superviseIntervalSeconds: 5,
    monitorIntervalSeconds: 5,
  });
  // While the database is away every poll of every worker fails; one line every few seconds says so.
  const gate = createLogGate(5_000);
  boss.on('error', (error) =>
    gate(isConnectionError(error) ? 'unreachable' : 'error', () =>
      isConnectionError(error) ? log.warn({ err: error }, 'job queue: the database cannot be reached; its workers retry') : log.error({ err: error }, 'job queue error'),
    ),
  );
  const definitions = new Map<string, JobDefinition<object>>();
  /** queues created, and workers started, by an earlier `start` that then failed: a retry does the rest */
  const created = new Set<string>();
  const working = new Set<string>();
  let started = false;

  return {
    boss,
    define<T extends object>(definition: JobDefinition<T>) {
      if (definitions.has(definition.name)) throw new Error(`job ${definition.name} defined twice`);
      definitions.set(definition.name, definition as unknown as JobDefinition<object>);
    },
    send: (name, data, options) => boss.send(name, data, options ?? {}),
    sendInTx: (tx, name, data, options) => boss.send(name, data, { ...options, db: fromDrizzle(asDrizzleTx(tx), sql) }),
    async runPending(name, limit = 100) {
      const def = definitions.get(name);
      if (!def) throw new Error(`job ${name} is not defined`);
      const jobs = await boss.fetch<object>(name, { batchSize: limit });
      for (const job of jobs) {
        try {
          await def.handler(job.data, job);
          await boss.complete(name, job.id);
        } catch (error) {
          await boss.fail(name, job.id, { message: safeErrorMessage(error) });
        }
      }
      return jobs.length;
    },
    async start({ work }) {
      if (!started) {
        await boss.start();
        started = true;
      }
      for (const def of definitions.values()) {
        if (created.has(def.name)) continue;
        const options = { heartbeatSeconds: JOB_HEARTBEAT_SECONDS, ...def.queue };
        await boss.createQueue(def.name, options);
        // an existing queue keeps the options it was created with: this version's retry, expiry and heartbeat apply
        await boss.updateQueue(def.name, options);
        created.add(def.name);
      }
      if (!work) return;
      for (const def of definitions.values()) {
        if (working.has(def.name)) continue;
        // Each job of a batch is settled on its own: one that throws is failed (and retried by its queue's policy)
        // while the jobs after it still run and those before it stay completed. A thrown batch would fail them all,
        // and a retried job whose work was done may no longer see what it had to do next.
        await boss.work<object>(
          def.name,
          { batchSize: def.batchSize ?? 1, localConcurrency: def.concurrency ?? 1, pollingIntervalSeconds: def.pollingIntervalSeconds ?? 2, perJobResults: true },
          async (jobs) => {
            const results: JobResult[] = [];
            for (const job of jobs) {
              try {
                await def.handler(job.data, job);
                results.push({ id: job.id, status: 'completed' });
              } catch (error) {
                const message = safeErrorMessage(error);
                log.warn({ job: def.name, jobId: job.id, err: error }, 'job failed');
                results.push({ id: job.id, status: 'failed', output: { message } });
              }
            }
            return results;
          },
        );
        working.add(def.name);
        if (def.schedule) await boss.schedule(def.name, def.schedule);
      }
    },
    async stop() {
      if (!started) return;
      started = false;
      await boss.stop({ graceful: true, timeout: 20_000 });
    },
  };
}

/** pg-boss's Drizzle adapter wants `execute` to answer `{ rows }`; both of our engines do, typed as unknown. */
function asDrizzleTx(tx: Db) {
  return {
    async execute(query: unknown) {
      const result: unknown = await tx.execute(query as SQL);
      if (result && typeof result === 'object' && 'rows' in result && Array.isArray(result.rows)) return { rows: result.rows };
      throw new Error('unexpected driver result');
    },
  };
}
