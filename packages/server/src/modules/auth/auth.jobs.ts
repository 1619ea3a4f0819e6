import type { Queue } from '../../jobs/queue.ts';
import { jobs } from '../../jobs/registry.ts';
import type { AuthRepository } from './auth.repository.ts';
import type { RateCountersRepository } from './rate-counters.repository.ts';

/** Housekeeping: expired sessions and spent rate counters are removed every hour. */
export function defineAuthJobs(queue: Queue, deps: { authRepo: AuthRepository; rateCounters: Pick<RateCountersRepository, 'deleteEnded'> }, now: () => Date) {
  queue.handle(jobs.authCleanup, async () => {
    await deps.authRepo.deleteExpiredSessions(now());
    // Counters that ran out a minute ago or more (also the send limiter's turns, see send-rate-limiter.ts: the
    // minute keeps another process's clock, a little behind this one's, from losing turns it still counts on).
    await deps.rateCounters.deleteEnded(new Date(now().getTime() - 60_000));
  });
}
