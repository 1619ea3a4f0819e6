import type { Queue } from '../../jobs/queue.ts';
import type { LegacyAccount } from './legacy-account.ts';
import type { ProfileSync } from './profile-sync.ts';
import type { TokenRefresher } from './token-refresh.ts';

export const DETECT_LEGACY_PATH_JOB = 'accounts.detect_legacy_path';

/**
 * Scheduled account upkeep: token refresh every hour, profile re-sync (and Page token check) once a day; and, after a
 * start with the old single account configured, finding out which Meta host its token belongs to. All idempotent.
 */
export function defineAccountJobs(queue: Queue, deps: { tokenRefresh: TokenRefresher; profileSync: ProfileSync; legacyAccount: LegacyAccount }) {
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
  queue.define<{ accountId: string }>({
    name: DETECT_LEGACY_PATH_JOB,
    queue: { retryLimit: 8, retryDelay: 60, retryBackoff: true },
    handler: async ({ accountId }) => {
      if (await deps.legacyAccount.detect(accountId)) return;
      // Meta unreachable: thrown, so the queue asks again later. A refused token is settled (reauth_required), not retried.
      const pending = await deps.legacyAccount.pendingDetection();
      if (pending?.accountId === accountId && pending.status === 'active') throw new Error('the legacy account path could not be found out yet');
    },
  });
}
