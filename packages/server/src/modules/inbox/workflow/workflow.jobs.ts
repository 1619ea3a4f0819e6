import type { Queue } from '../../../jobs/queue.ts';
import type { WorkflowService } from './workflow.service.ts';
import { jobs } from '../../../jobs/registry.ts';

/**
 * Snoozed conversations open again at their time: each snooze enqueues a wake-up due then, and a sweep every minute
 * catches any that a lost job missed. Either runs on whichever process works the queue.
 */
export function defineWorkflowJobs(queue: Queue, workflow: Pick<WorkflowService, 'wakeSnoozed'>) {
  queue.handle(jobs.conversationsWakeSnoozed, async () => {
    await workflow.wakeSnoozed();
  });
}
