import type { Queue } from '../../jobs/queue.ts';
import type { TeammatesRepository } from './teammates.repository.ts';

/** Housekeeping: password-reset links that expired a day ago or more are deleted every hour (invitations stay, as history). */
export function defineTeammatesJobs(queue: Queue, deps: { teammatesRepo: TeammatesRepository }, now: () => Date) {
  queue.define<Record<string, never>>({
    name: 'teammates.cleanup',
    schedule: '23 * * * *',
    queue: { retryLimit: 3, retryDelay: 60, expireInSeconds: 300 },
    handler: async () => {
      await deps.teammatesRepo.deleteSpent(new Date(now().getTime() - 86_400_000));
    },
  });
}
