import type { Queue } from '../../../jobs/queue.ts';
import { WAKE_SNOOZED_JOB, type WorkflowService } from './workflow.service.ts';

/**
 * Snoozed conversations open again at their time: each snooze enqueues a wake-up due then, and a sweep every minute
 * catches any that a lost job missed. Either runs on whichever process works the queue.
 */
export function defineWorkflowJobs(queue: Queue, workflow: Pick<WorkflowService, 'wakeSnoozed'>) {
  queue.define<Record<string, never>>({
    name: WAKE_SNOOZED_JOB,
    schedule: '* * * * *',
    queue: { retryLimit: 3, retryDelay: 5, expireInSeconds: 120 },
    pollingIntervalSeconds: 1,
    handler: async () => {
      await workflow.wakeSnoozed();
    },
  });
}
