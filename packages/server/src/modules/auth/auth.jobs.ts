import type { Queue } from '../../jobs/queue.ts';
import { jobs } from '../../jobs/registry.ts';
import type { AuthRepository } from './auth.repository.ts';
import type { LoginThrottle } from './login-throttle.ts';

/** Housekeeping: expired sessions and spent sign-in counters are removed every hour. */
export function defineAuthJobs(queue: Queue, deps: { authRepo: AuthRepository; throttle: LoginThrottle }, now: () => Date) {
  queue.handle(jobs.authCleanup, async () => {
    await deps.authRepo.deleteExpiredSessions(now());
    await deps.throttle.deleteExpired();
  });
}
