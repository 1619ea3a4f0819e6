import type { Queue } from '../../jobs/queue.ts';
import type { AuthRepository } from './auth.repository.ts';
import type { LoginThrottle } from './login-throttle.ts';

/** Housekeeping: expired sessions and spent sign-in counters are removed every hour. */
export function defineAuthJobs(queue: Queue, deps: { authRepo: AuthRepository; throttle: LoginThrottle }, now: () => Date) {
  queue.define<Record<string, never>>({
    name: 'auth.cleanup',
    schedule: '17 * * * *',
    queue: { retryLimit: 3, retryDelay: 60, expireInSeconds: 300 },
    handler: async () => {
      await deps.authRepo.deleteExpiredSessions(now());
      await deps.throttle.deleteExpired();
    },
  });
}
