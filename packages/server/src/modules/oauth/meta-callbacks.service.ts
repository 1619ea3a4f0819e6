import fs from 'node:fs/promises';
import type { InboxUnitsOfWork } from '../../events/inbox-events.ts';
import path from 'node:path';
import type { DataDeletionResponse } from '@threadline/contract';
import type { Db } from '../../db/client.ts';
import type { AccountGraphClient } from '../../instagram/account-graph.ts';
import { parseSignedRequest } from '../../instagram/signed-request.ts';
import { randomToken, sha256Hex } from '../../shared/crypto/random.ts';
import type { Logger } from '../../shared/logger.ts';
import type { AccountGraphs } from '../accounts/account-graphs.ts';
import type { AccountStatus } from '../accounts/account-status.ts';
import type { MetaCallbacksRepository } from './meta-callbacks.repository.ts';
import { oauthErrors } from './oauth.errors.ts';

export type MetaCallbacksDeps = {
  db: Db;
  /** Opens the transactions that record inbox events (accounts disconnected). */
  units: InboxUnitsOfWork;
  repo: MetaCallbacksRepository;
  /**
   * Whose callbacks: `instagram` (Instagram Login; `user_id` is the account's app-scoped or Instagram id) or
   * `facebook` (Facebook Login; `user_id` is the app-scoped Facebook id of the person, who may have linked several).
   */
  provider: 'instagram' | 'facebook';
  /** Every secret Meta may sign this app's callbacks with. */
  appSecrets: readonly string[];
  status: AccountStatus;
  graphs: Pick<AccountGraphs, 'forAccount'>;
  mediaDir: string;
  /** `{PUBLIC_BASE_URL}`: the deletion status page lives under it. */
  publicBaseUrl: string;
  now: () => Date;
  log: Logger;
};

/**
 * Meta's app-review callbacks (platform reference §8). Both verify `signed_request` first (HMAC-SHA256 with the
 * app secret, the algorithm checked, constant time), then disconnect the accounts it names: token deleted, status
 * `disconnected`, webhooks unsubscribed while the token still works. Data deletion also erases the accounts' stored
 * conversations and media and leaves a status page behind a confirmation code.
 */
export function createMetaCallbacks(deps: MetaCallbacksDeps) {
  const { repo, status, graphs, log, now, provider, units } = deps;
  const what = provider === 'instagram' ? 'the app was removed from the Instagram account' : 'the app was removed from the Facebook account that linked it';

  async function verify(signedRequest: string | undefined) {
    const parsed = parseSignedRequest(signedRequest ?? '', deps.appSecrets, now());
    if (!parsed.ok) {
      log.warn({ code: parsed.code, provider }, 'signed_request refused');
      throw oauthErrors.signedRequestInvalid(parsed.code, parsed.message);
    }
    // verified first, so only Meta's own requests are remembered; a captured one played again is refused
    if (!(await repo.firstSightOfSignedRequest(sha256Hex((signedRequest ?? '').trim()), now()))) {
      log.warn({ code: 'signed_request.replayed', provider }, 'signed_request refused');
      throw oauthErrors.signedRequestReplayed();
    }
    return parsed.request;
  }

  const accountsOf = async (userId: string) =>
    provider === 'instagram' ? [await repo.findAccountByMetaUserId(userId)].filter((a) => a !== undefined) : repo.findAccountsByFacebookUserId(userId);

  /** Bound before the disconnect (which deletes the token), used after the commit. */
  const clientsOf = async (accounts: { id: string }[]) =>
    Promise.all(accounts.map(async (a) => ({ accountId: a.id, client: await graphs.forAccount(a.id).catch(() => null) })));

  async function unsubscribe(clients: { accountId: string; client: AccountGraphClient | null }[]) {
    for (const { accountId, client } of clients) {
      await client?.unsubscribe().catch(() => log.info({ accountId }, 'unsubscribe after deauthorization failed (token already invalid)'));
    }
  }

  return {
    async deauthorize(signedRequest: string | undefined): Promise<{ accountIds: string[] }> {
      const request = await verify(signedRequest);
      const accounts = await accountsOf(request.userId);
      const clients = await clientsOf(accounts);
      await units.run(async (uow) => {
        for (const account of accounts) await status.markDisconnected(account.id, `${what} (deauthorized)`, uow);
      });
      await unsubscribe(clients);
      return { accountIds: accounts.map((a) => a.id) };
    },

    async dataDeletion(signedRequest: string | undefined): Promise<DataDeletionResponse> {
      const request = await verify(signedRequest);
      const confirmationCode = randomToken(12).replace(/[^A-Za-z0-9]/g, 'x');
      const accounts = await accountsOf(request.userId);
      const at = now();
      let storageKeys: string[] = [];
      if (accounts.length === 0) {
        await repo.insertDeletionRequest({ confirmationCode, igUserId: request.userId, status: 'not_found', requestedAt: at, completedAt: at });
      } else {
        const clients = await clientsOf(accounts);
        storageKeys = await units.run(async (uow) => {
          const { tx } = uow;
          let messagesDeleted = 0;
          const keys: string[] = [];
          for (const account of accounts) {
            const erased = await repo.eraseInboxData(account.id, account.igUserId, tx);
            messagesDeleted += erased.messagesDeleted;
            keys.push(...erased.storageKeys);
            await status.markDisconnected(account.id, 'Meta asked for the account data to be deleted', uow);
          }
          // One request may erase several accounts (a person's Pages): the row names the one, or lists the Instagram ids.
          await repo.insertDeletionRequest(
            {
              confirmationCode,
              accountId: accounts.length === 1 ? (accounts[0]?.id ?? null) : null,
              igUserId: accounts.map((a) => a.igUserId).join(','),
              status: 'completed',
              messagesDeleted,
              requestedAt: at,
              completedAt: at,
            },
            tx,
          );
          return keys;
        });
        await unsubscribe(clients);
      }
      for (const key of storageKeys) {
        const file = path.resolve(deps.mediaDir, key);
        if (file.startsWith(path.resolve(deps.mediaDir) + path.sep)) await fs.rm(file, { force: true });
      }
      log.info({ accountIds: accounts.map((a) => a.id), files: storageKeys.length, provider }, 'data deletion request handled');
      return { url: `${deps.publicBaseUrl.replace(/\/+$/, '')}/oauth/${provider}/data-deletion/${confirmationCode}`, confirmation_code: confirmationCode };
    },

    status: (code: string) => repo.findDeletionRequest(code),
  };
}
export type MetaCallbacks = ReturnType<typeof createMetaCallbacks>;
