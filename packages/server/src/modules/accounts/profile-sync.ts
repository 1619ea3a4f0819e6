import { classifyGraphError, isGraphApiError } from '../../instagram/graph-client.ts';
import type { Logger } from '../../shared/logger.ts';
import type { AccountGraphs } from './account-graphs.ts';
import type { AccountStatus } from './account-status.ts';
import { profileFieldsOf, type AccountsRepository } from './accounts.repository.ts';

export type ProfileSyncDeps = {
  repo: AccountsRepository;
  graphs: Pick<AccountGraphs, 'forAccount'>;
  status: AccountStatus;
  now: () => Date;
  log: Logger;
};

const STALE_AFTER_MS = 20 * 3_600_000;
const BATCH = 500;

/**
 * The daily re-read of each account's profile (username, name, picture, followers; the Page's name) with its own
 * token, on its own host. It is also the daily token check: Page tokens never expire and are never refreshed, so
 * this read is what notices one that stopped working. 190 means re-authorization; so does a Page whose Instagram
 * account is no longer the one Threadline holds.
 */
export function createProfileSync(deps: ProfileSyncDeps) {
  const { repo, graphs, status, log } = deps;
  return {
    async runOnce(): Promise<{ synced: number; reauthRequired: number; failed: number }> {
      const now = deps.now();
      const report = { synced: 0, reauthRequired: 0, failed: 0 };
      for (const { id } of await repo.dueForProfileSync(new Date(now.getTime() - STALE_AFTER_MS), BATCH)) {
        const client = await graphs.forAccount(id);
        if (!client) continue;
        try {
          const profile = await client.readProfile();
          if (profile.igUserId !== client.igUserId) {
            const reason = profile.page
              ? `the Facebook Page "${profile.page.name}" is no longer linked to this Instagram account`
              : 'the token now belongs to another Instagram account';
            if (await status.markReauthRequired(id, reason)) report.reauthRequired += 1;
            continue;
          }
          await repo.update(id, { ...profileFieldsOf(profile), lastSyncedAt: now });
          report.synced += 1;
        } catch (error) {
          const detail = isGraphApiError(error) ? `${error.code ?? '?'}/${error.subcode ?? '-'}` : 'no answer';
          if (classifyGraphError(error) === 'reauth') {
            if (await status.markReauthRequired(id, `profile sync refused by Meta (${detail})`)) report.reauthRequired += 1;
          } else {
            report.failed += 1;
            log.warn({ accountId: id, detail }, 'profile sync failed; tomorrow brings another try');
          }
        }
      }
      return report;
    },
  };
}
export type ProfileSync = ReturnType<typeof createProfileSync>;
