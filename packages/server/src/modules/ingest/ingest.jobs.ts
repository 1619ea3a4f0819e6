import type { Queue } from '../../jobs/queue.ts';
import { jobs } from '../../jobs/registry.ts';
import type { MessageLookup } from './message-lookup.ts';
import type { Reconciler } from './reconcile.ts';

export type IngestJobsDeps = {
  lookup: Pick<MessageLookup, 'run' | 'giveUp'>;
  lookupRetry: { retries: number; retryDelaySeconds: number };
  reconciler: Pick<Reconciler, 'reconcileAll'>;
  reconcileIntervalMinutes: number;
};

/**
 * Ingest's background work: a message read from Meta when an event names one we do not have (an edit without its
 * text), with its own retries and a dead letter when it gives up; and the scheduled reconciliation of recent
 * conversations against Meta's conversations API.
 */
export function defineIngestJobs(queue: Queue, deps: IngestJobsDeps) {
  queue.handle(jobs.messagesLookupGaveUp, async (job) => deps.lookup.giveUp(job));
  const { retries, retryDelaySeconds } = deps.lookupRetry;
  queue.handle(jobs.messagesLookup, async (job) => deps.lookup.run(job), {
    retry: { retries, delaySeconds: retryDelaySeconds, backoff: retryDelaySeconds > 0 },
  });
  queue.handle(
    jobs.messagesReconcile,
    async () => {
      await deps.reconciler.reconcileAll();
    },
    { schedule: `*/${Math.min(59, Math.max(1, deps.reconcileIntervalMinutes))} * * * *` },
  );
}
