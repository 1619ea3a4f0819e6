import { INSTAGRAM_REFRESH_MIN_AGE_SECONDS } from '@threadline/contract';
import { classifyGraphError, isGraphApiError, type GraphClient } from '../../instagram/graph-client.ts';
import type { TokenVault } from '../../shared/crypto/token-vault.ts';
import type { Logger } from '../../shared/logger.ts';
import type { AccountStatus } from './account-status.ts';
import type { AccountsRepository } from './accounts.repository.ts';

export type TokenRefreshDeps = {
  repo: AccountsRepository;
  graph: Pick<GraphClient, 'refreshLongLived'>;
  vault: TokenVault;
  status: AccountStatus;
  /** Tokens this close to expiry are refreshed (TOKEN_REFRESH_MARGIN_DAYS). */
  marginMs: number;
  now: () => Date;
  log: Logger;
};

export type RefreshReport = { refreshed: number; reauthRequired: number; failed: number };

const BATCH = 200;

/**
 * Tokens that never lapse: a long-lived token is refreshed once it is at least 24 hours old (Meta's rule) and
 * within the margin of its expiry, long before the 60 days run out, whether or not the account is in use. An
 * expired token, or Meta answering 190, sends the account to `reauth_required`. `now` is injectable so the job
 * can run against a moved clock (the simulator's).
 */
export function createTokenRefresher(deps: TokenRefreshDeps) {
  const { repo, graph, vault, status, log } = deps;
  return {
    async runOnce(): Promise<RefreshReport> {
      const now = deps.now();
      const report: RefreshReport = { refreshed: 0, reauthRequired: 0, failed: 0 };
      const due = await repo.dueForRefresh(
        new Date(now.getTime() + deps.marginMs),
        new Date(now.getTime() - INSTAGRAM_REFRESH_MIN_AGE_SECONDS * 1000),
        BATCH,
      );
      for (const account of due) {
        if (!account.token) continue;
        if (account.tokenExpiresAt && account.tokenExpiresAt.getTime() <= now.getTime()) {
          if (await status.markReauthRequired(account.id, 'the Instagram token expired')) report.reauthRequired += 1;
          continue;
        }
        try {
          const fresh = await graph.refreshLongLived(vault.decrypt(account.token));
          await repo.update(account.id, {
            accessTokenEncrypted: vault.encrypt(fresh.accessToken),
            tokenExpiresAt: new Date(now.getTime() + fresh.expiresIn * 1000),
            tokenIssuedAt: now,
            ...(fresh.permissions ? { scopes: fresh.permissions } : {}),
          });
          report.refreshed += 1;
          log.info({ accountId: account.id, expiresInDays: Math.round(fresh.expiresIn / 86_400) }, 'token refreshed');
        } catch (error) {
          const detail = isGraphApiError(error) ? `${error.code ?? '?'}/${error.subcode ?? '-'}` : 'no answer';
          if (classifyGraphError(error) === 'reauth') {
            if (await status.markReauthRequired(account.id, `token refresh refused by Meta (${detail})`)) report.reauthRequired += 1;
          } else {
            report.failed += 1;
            log.warn({ accountId: account.id, detail }, 'token refresh failed; the next run tries again');
          }
        }
      }
      return report;
    },
  };
}
export type TokenRefresher = ReturnType<typeof createTokenRefresher>;
