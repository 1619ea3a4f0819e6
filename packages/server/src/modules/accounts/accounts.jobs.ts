import type { Queue } from '../../jobs/queue.ts';
import { jobs } from '../../jobs/registry.ts';
import type { LegacyAccount } from './legacy-account.ts';
import type { ProfileSync } from './profile-sync.ts';
import type { TokenRefresher } from './token-refresh.ts';

/**
 * Scheduled account upkeep: token refresh every hour, profile re-sync (and Page token check) once a day; and, after a
 * start with the old single account configured, finding out which Meta host its token belongs to. All idempotent.
 */
export function defineAccountJobs(queue: Queue, deps: { tokenRefresh: TokenRefresher; profileSync: ProfileSync; legacyAccount: LegacyAccount }) {
  queue.handle(jobs.accountsRefreshTokens, async () => {
    await deps.tokenRefresh.runOnce();
  });
  queue.handle(jobs.accountsSyncProfiles, async () => {
    await deps.profileSync.runOnce();
  });
  queue.handle(jobs.accountsDetectLegacyPath, async ({ accountId }) => {
    if (await deps.legacyAccount.detect(accountId)) return;
    // Meta unreachable: thrown, so the queue asks again later. A refused token is settled (reauth_required), not retried.
    const pending = await deps.legacyAccount.pendingDetection();
    if (pending?.accountId === accountId && pending.status === 'active') throw new Error('the legacy account path could not be found out yet');
  });
}
