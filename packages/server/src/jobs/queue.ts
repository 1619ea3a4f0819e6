import { PgBoss, type JobResult, type SendOptions } from 'pg-boss';
import type { Database, Db } from '../db/client.ts';
import { isConnectionError, safeErrorMessage } from '../shared/db-errors.ts';
import { createLogGate, type Logger } from '../shared/logger.ts';
import { bossQueueOptions, DEFAULT_BACKSTOP_SECONDS, type JobHandler, type JobType, type JobTuning } from './job.ts';
import { bossDatabaseOf } from './queue.repository.ts';
import { jobs as registry, type JobRegistry } from './registry.ts';

export type EnqueueOptions = Omit<SendOptions, 'db'>;

export type Queue = {
  boss: PgBoss;
  /** Binds a registered job's handler (where the services it uses are built); `tuning` applies config's settings. */
  handle<T extends object>(job: JobType<T>, handler: JobHandler<T>, tuning?: JobTuning): void;
  enqueue<T extends object>(job: JobType<T>, data: NoInfer<T>, options?: EnqueueOptions): Promise<string | null>;
  /** Enqueues inside the caller's transaction: the job exists exactly when the rows it is about do. */
  enqueueInTx<T extends object>(tx: Db, job: JobType<T>, data: NoInfer<T>, options?: EnqueueOptions): Promise<string | null>;
  /** Runs the waiting jobs of one queue now, in the calling task; answers how many ran. */
  runPending(job: JobType<object>, limit?: number): Promise<number>;
  /**
   * Creates the queues of the bound jobs (always) and starts workers (when `work` is true) and their schedules (when
   * `work` is, unless `schedules` is false).
   */
  start(opts: { work: boolean; schedules?: boolean }): Promise<void>;
  stop(): Promise<void>;
};

/**
 * Every job reports it is alive this often (pg-boss refreshes it at half the interval while the handler runs); a job
 * whose process died is failed and retried a monitor pass after its heartbeat lapses, not at its expiry. pg-boss
 * allows no less than 10 s.
 */
export const JOB_HEARTBEAT_SECONDS = 10;

/** A job of the registry with its handler bound, and its settings after config's tuning. */
type Bound = { job: JobType<object>; run: (data: unknown) => Promise<void> };

/**
 * pg-boss on the same database as everything else: its own pool on PostgreSQL, the one PGlite otherwise. Only the
 * jobs of `opts.jobs` (jobs/registry.ts unless a test brings its own) may be bound and enqueued. `listen: false` for a
 * process that starts no workers: nothing there is to be woken.
 */
export function createQueue(database: Database, log: Logger, opts: { jobs?: JobRegistry; listen?: boolean } = {}): Queue {
  const jobs = opts.jobs ?? registry;
  const boss = new PgBoss({
    ...database.boss,
    schema: 'pgboss',
    ...(database.kind === 'pglite' ? { backend: 'pglite' as const } : {}),
    // Jobs with a heartbeat (see JOB_HEARTBEAT_SECONDS) whose process died are failed, and so retried, at the next
    // monitor pass after their heartbeat lapses: within seconds, not at their expiry.
    superviseIntervalSeconds: 5,
    monitorIntervalSeconds: 5,
    // A job sent wakes a worker at once (pg_notify in the sending transaction, one listening connection in each
    // process that works: `listen`) instead of every worker polling every queue: 32 statements a second on an idle
    // install before, and up to half a second before a reply went to Instagram. Polling goes on as a backstop
    // (WorkerSettings.backstopSeconds). A process that only sends (`serve --no-workers`) does not listen.
    useListenNotify: opts.listen ?? true,
  });
  // While the database is away every poll of every worker fails; one line every few seconds says so.
  const gate = createLogGate(5_000);
  // the wake-up could not be set up (a pooler in transaction mode, the connection refused): workers poll instead
  boss.on('warning', (warning) => {
    const type = (warning.data as { type?: unknown } | undefined)?.type;
    if (type === 'listen_notify_unavailable') gate('listen', () => log.warn({ type }, 'job queue: workers poll for new jobs, as they cannot be woken (LISTEN/NOTIFY unavailable)'));
  });
  boss.on('error', (error) =>
    gate(isConnectionError(error) ? 'unreachable' : 'error', () =>
      isConnectionError(error) ? log.warn({ err: error }, 'job queue: the database cannot be reached; its workers retry') : log.error({ err: error }, 'job queue error'),
    ),
  );
  const registered = new Set(Object.values(jobs).map((job) => job.name));
  const bound = new Map<string, Bound>();
  /** queues created, and workers started, by an earlier `start` that then failed: a retry does the rest */
  const created = new Set<string>();
  const working = new Set<string>();
  let started = false;

  function check(job: JobType<object>) {
    if (!registered.has(job.name)) throw new Error(`job ${job.name} is not in the job registry`);
  }
  /** the payload as the handler may take it; a scheduled job's payload is null when it is empty */
  const payloadOf = <T extends object>(job: JobType<T>, data: unknown): T => job.payload.parse(data ?? {});

  async function createQueueOf(entry: Bound) {
    if (created.has(entry.job.name)) return;
    // a dead-letter queue must exist before the queue that names it
    const deadLetter = entry.job.retry.deadLetter && bound.get(entry.job.retry.deadLetter.name);
    if (deadLetter) await createQueueOf(deadLetter);
    // notify: a job sent to the queue wakes its workers (see useListenNotify above)
    const options = { heartbeatSeconds: JOB_HEARTBEAT_SECONDS, notify: true, ...bossQueueOptions(entry.job.retry) };
    await boss.createQueue(entry.job.name, options);
    // an existing queue keeps the options it was created with: this version's retry, expiry and heartbeat apply
    await boss.updateQueue(entry.job.name, options);
    created.add(entry.job.name);
  }

  return {
    boss,
    handle(job, handler, tuning) {
      check(job);
      if (bound.has(job.name)) throw new Error(`job ${job.name} bound twice`);
      const tuned: JobType<object> = {
        ...job,
        retry: { ...job.retry, ...tuning?.retry },
        schedule: tuning?.schedule ?? job.schedule,
      };
      bound.set(job.name, { job: tuned, run: (data) => handler(payloadOf(job, data)) });
    },
    async enqueue(job, data, options) {
      check(job);
      return boss.send(job.name, payloadOf(job, data), options ?? {});
    },
    async enqueueInTx(tx, job, data, options) {
      check(job);
      return boss.send(job.name, payloadOf(job, data), { ...options, db: bossDatabaseOf(tx) });
    },
    async runPending(job, limit = 100) {
      const entry = bound.get(job.name);
      if (!entry) throw new Error(`job ${job.name} has no handler`);
      const fetched = await boss.fetch<object>(job.name, { batchSize: limit });
      for (const one of fetched) {
        try {
          await entry.run(one.data);
          await boss.complete(job.name, one.id);
        } catch (error) {
          await boss.fail(job.name, one.id, { message: safeErrorMessage(error) });
        }
      }
      return fetched.length;
    },
    async start({ work, schedules = true }) {
      if (work) {
        const unbound = [...registered].filter((name) => !bound.has(name));
        if (unbound.length > 0) throw new Error(`jobs without a handler: ${unbound.join(', ')}`);
      }
      if (!started) {
        await boss.start();
        started = true;
      }
      for (const entry of bound.values()) await createQueueOf(entry);
      if (!work) return;
      for (const { job, run } of bound.values()) {
        if (working.has(job.name)) continue;
        // Each job of a batch is settled on its own: one that throws is failed (and retried by its queue's policy)
        // while the jobs after it still run and those before it stay completed. A thrown batch would fail them all,
        // and a retried job whose work was done may no longer see what it had to do next.
        await boss.work<object>(
          job.name,
          {
            batchSize: job.worker.batchSize ?? 1,
            localConcurrency: job.worker.concurrency ?? 1,
            pollingIntervalSeconds: job.worker.pollingIntervalSeconds ?? 2,
            notifyPollingIntervalSeconds: job.worker.backstopSeconds ?? DEFAULT_BACKSTOP_SECONDS,
            perJobResults: true,
          },
          async (batch) => {
            const results: JobResult[] = [];
            for (const one of batch) {
              try {
                await run(one.data);
                results.push({ id: one.id, status: 'completed' });
              } catch (error) {
                const message = safeErrorMessage(error);
                log.warn({ job: job.name, jobId: one.id, err: error }, 'job failed');
                results.push({ id: one.id, status: 'failed', output: { message } });
              }
            }
            return results;
          },
        );
        working.add(job.name);
        if (job.schedule && schedules) await boss.schedule(job.name, job.schedule);
      }
    },
    async stop() {
      if (!started) return;
      started = false;
      await boss.stop({ graceful: true, timeout: 20_000 });
    },
  };
}
