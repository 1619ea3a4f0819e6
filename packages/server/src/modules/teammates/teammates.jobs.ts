import type { Queue } from '../../jobs/queue.ts';
import { jobs } from '../../jobs/registry.ts';
import type { TeammatesRepository } from './teammates.repository.ts';

/** Housekeeping: password-reset links that expired a day ago or more are deleted every hour (invitations stay, as history). */
export function defineTeammatesJobs(queue: Queue, deps: { teammatesRepo: TeammatesRepository }, now: () => Date) {
  queue.handle(jobs.teammatesCleanup, async () => {
    await deps.teammatesRepo.deleteSpent(new Date(now().getTime() - 86_400_000));
  });
}
