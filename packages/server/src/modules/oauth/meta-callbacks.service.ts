import fs from 'node:fs/promises';
import path from 'node:path';
import type { DataDeletionResponse } from '@threadline/contract';
import type { Db } from '../../db/client.ts';
import type { GraphClient } from '../../instagram/graph-client.ts';
import { parseSignedRequest } from '../../instagram/signed-request.ts';
import { randomToken } from '../../shared/crypto/random.ts';
import { badRequest } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { AccountStatus } from '../accounts/account-status.ts';
import type { AccountTokens } from '../accounts/account-tokens.ts';
import type { MetaCallbacksRepository } from './meta-callbacks.repository.ts';

export type MetaCallbacksDeps = {
  db: Db;
  repo: MetaCallbacksRepository;
  /** Every secret Meta may sign with (Instagram app secret, Meta app secret). */
  appSecrets: readonly string[];
  status: AccountStatus;
  tokens: AccountTokens;
  graph: Pick<GraphClient, 'unsubscribeApp'>;
  mediaDir: string;
  /** `{PUBLIC_BASE_URL}`: the deletion status page lives under it. */
  publicBaseUrl: string;
  now: () => Date;
  log: Logger;
};

/**
 * Meta's app-review callbacks (platform reference §8). Both verify `signed_request` first (HMAC-SHA256 with the
 * app secret, the algorithm checked, constant time), then disconnect the account it names: token deleted, status
 * `disconnected`, webhooks unsubscribed while the token still works. Data deletion also erases the account's
 * stored conversations and media and leaves a status page behind a confirmation code.
 */
export function createMetaCallbacks(deps: MetaCallbacksDeps) {
  const { db, repo, status, tokens, graph, log, now } = deps;

  function verify(signedRequest: string | undefined) {
    const parsed = parseSignedRequest(signedRequest ?? '', deps.appSecrets, now());
    if (!parsed.ok) {
      log.warn({ code: parsed.code }, 'signed_request refused');
      throw badRequest(parsed.code, `Invalid signed_request: ${parsed.message}.`);
    }
    return parsed.request;
  }

  async function unsubscribe(accountId: string, token: string | null) {
    if (!token) return;
    await graph.unsubscribeApp(token).catch(() => log.info({ accountId }, 'unsubscribe after deauthorization failed (token already invalid)'));
  }

  return {
    async deauthorize(signedRequest: string | undefined): Promise<{ accountId: string | null }> {
      const request = verify(signedRequest);
      const account = await repo.findAccountByMetaUserId(request.userId);
      if (!account) return { accountId: null };
      const token = await tokens.tokenFor(account.id).catch(() => null);
      await db.transaction((tx) => status.markDisconnected(account.id, 'the app was removed from the Instagram account (deauthorized)', tx));
      await unsubscribe(account.id, token);
      return { accountId: account.id };
    },

    async dataDeletion(signedRequest: string | undefined): Promise<DataDeletionResponse> {
      const request = verify(signedRequest);
      const confirmationCode = randomToken(12).replace(/[^A-Za-z0-9]/g, 'x');
      const account = await repo.findAccountByMetaUserId(request.userId);
      const at = now();
      let storageKeys: string[] = [];
      if (!account) {
        await repo.insertDeletionRequest({ confirmationCode, igUserId: request.userId, status: 'not_found', requestedAt: at, completedAt: at });
      } else {
        const token = await tokens.tokenFor(account.id).catch(() => null);
        storageKeys = await db.transaction(async (tx) => {
          const erased = await repo.eraseInboxData(account.id, account.igUserId, tx);
          await status.markDisconnected(account.id, 'Meta asked for the account data to be deleted', tx);
          await repo.insertDeletionRequest(
            { confirmationCode, accountId: account.id, igUserId: account.igUserId, status: 'completed', messagesDeleted: erased.messagesDeleted, requestedAt: at, completedAt: at },
            tx,
          );
          return erased.storageKeys;
        });
        await unsubscribe(account.id, token);
      }
      for (const key of storageKeys) {
        const file = path.resolve(deps.mediaDir, key);
        if (file.startsWith(path.resolve(deps.mediaDir) + path.sep)) await fs.rm(file, { force: true });
      }
      log.info({ accountId: account?.id ?? null, files: storageKeys.length }, 'data deletion request handled');
      return { url: `${deps.publicBaseUrl.replace(/\/+$/, '')}/oauth/instagram/data-deletion/${confirmationCode}`, confirmation_code: confirmationCode };
    },

    status: (code: string) => repo.findDeletionRequest(code),
  };
}
export type MetaCallbacks = ReturnType<typeof createMetaCallbacks>;
