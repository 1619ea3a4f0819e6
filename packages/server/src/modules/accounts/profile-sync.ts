import { classifyGraphError, isGraphApiError, type GraphClient } from '../../instagram/graph-client.ts';
import type { Logger } from '../../shared/logger.ts';
import type { AccountStatus } from './account-status.ts';
import type { AccountTokens } from './account-tokens.ts';
import { profileFieldsOf, type AccountsRepository } from './accounts.repository.ts';

export type ProfileSyncDeps = {
  repo: AccountsRepository;
  graph: Pick<GraphClient, 'getMe'>;
  tokens: AccountTokens;
  status: AccountStatus;
  now: () => Date;
  log: Logger;
};

const STALE_AFTER_MS = 20 * 3_600_000;
const BATCH = 500;

/** The daily re-read of each account's profile (username, name, picture, followers); 190 means re-authorization. */
export function createProfileSync(deps: ProfileSyncDeps) {
  const { repo, graph, tokens, status, log } = deps;
  return {
    async runOnce(): Promise<{ synced: number; reauthRequired: number; failed: number }> {
      const now = deps.now();
      const report = { synced: 0, reauthRequired: 0, failed: 0 };
      for (const { id } of await repo.dueForProfileSync(new Date(now.getTime() - STALE_AFTER_MS), BATCH)) {
        const token = await tokens.tokenFor(id);
        if (!token) continue;
        try {
          const me = await graph.getMe(token);
          await repo.update(id, { ...profileFieldsOf(me), lastSyncedAt: now });
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
