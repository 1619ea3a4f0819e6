import { authErrors } from './auth.errors.ts';
import type { RateCountersRepository } from './rate-counters.repository.ts';

/**
 * Per-minute limits on requests that cost the server more than most: searches of a caller and uploads of an
 * account, counted in the database (rate-counters.repository.ts) so every process shares the count.
 */
export function createRequestThrottle(repo: Pick<RateCountersRepository, 'reserve'>, now: () => Date = () => new Date()) {
  return {
    /** Counts one search of a caller in a one-minute window; 429 `inbox.search_rate_limited` past `perMinute`. */
    async countSearch(callerKey: string, perMinute: number): Promise<void> {
      const outcome = await repo.reserve({ key: `search:${callerKey}`, max: perMinute, windowSeconds: 60 }, now());
      if (!outcome.allowed) {
        throw authErrors.tooManySearches(outcome.retryAfterSeconds);
      }
    },
    /** Counts one upload of an account in a one-minute window; 429 `uploads.rate_limited` past `perMinute`. */
    async countUpload(accountId: string, perMinute: number): Promise<void> {
      const outcome = await repo.reserve({ key: `upload:${accountId}`, max: perMinute, windowSeconds: 60 }, now());
      if (!outcome.allowed) {
        throw authErrors.tooManyUploads(outcome.retryAfterSeconds);
      }
    },
  };
}
export type RequestThrottle = ReturnType<typeof createRequestThrottle>;
