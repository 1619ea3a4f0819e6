import type { Queue } from '../../jobs/queue.ts';
import type { ProfileSync } from './profile-sync.ts';
import type { TokenRefresher } from './token-refresh.ts';

/** Scheduled account upkeep: token refresh every hour, profile re-sync once a day. Both are idempotent. */
export function defineAccountJobs(queue: Queue, deps: { tokenRefresh: TokenRefresher; profileSync: ProfileSync }) {
  queue.define<Record<string, never>>({
    name: 'accounts.refresh_tokens',
    schedule: '23 * * * *',
    queue: { retryLimit: 3, retryDelay: 300, expireInSeconds: 1800 },
    handler: async () => {
      await deps.tokenRefresh.runOnce();
    },
  });
  queue.define<Record<string, never>>({
    name: 'accounts.sync_profiles',
    schedule: '41 4 * * *',
    queue: { retryLimit: 3, retryDelay: 900, expireInSeconds: 1800 },
    handler: async () => {
      await deps.profileSync.runOnce();
    },
  });
}
