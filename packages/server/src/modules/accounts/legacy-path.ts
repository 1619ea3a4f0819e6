import type { LoginPath } from '@threadline/contract';
import type { InboxUnitsOfWork } from '../../events/inbox-events.ts';
import type { Db } from '../../db/client.ts';
import type { AccountProfile, GraphHosts } from '../../instagram/account-graph.ts';
import { bindAccountGraph } from '../../instagram/account-graph.ts';
import { classifyGraphError, isGraphApiError } from '../../instagram/graph-client.ts';
import type { Logger } from '../../shared/logger.ts';
import type { AccountStatus } from './account-status.ts';
import type { AccountCredentials } from './account-tokens.ts';
import { profileFieldsOf, type AccountsRepository } from './accounts.repository.ts';

/** INSTAGRAM_LEGACY_API: ask Meta (`auto`), or say which host the old token belongs to. */
export type LegacyApiMode = 'auto' | 'facebook' | 'instagram';

export type PathDetection =
  | { path: LoginPath; profile: AccountProfile }
  /** Neither host took the token for this account; `refused`: both answered (no network failure or outage). */
  | { path: null; facebook: string; instagram: string; refused: boolean };

/** Meta's answer in words for the account's status: code and message, never a token or a URL. */
function describe(error: unknown): { text: string; answered: boolean } {
  if (!isGraphApiError(error)) return { text: 'no answer', answered: false };
  const kind = classifyGraphError(error);
  const answered = error.failure === 'graph' || error.failure === 'oauth' ? kind !== 'transient' && kind !== 'throttled' : false;
  const code = error.code === null ? '' : ` (${error.code}${error.subcode === null ? '' : `/${error.subcode}`})`;
  return { text: `${error.failure === 'graph' ? error.message : error.failure}${code}`, answered };
}

/**
 * Which host a token belongs to (§0): graph.facebook.com `/me` with it names a Page whose Instagram account is this
 * one → `facebook_login`; else graph.instagram.com `/me` naming this account → `instagram_login`; else neither, with
 * both answers.
 */
export async function detectTokenPath(hosts: GraphHosts, accessToken: string, igUserId: string): Promise<PathDetection> {
  const probe = (path: LoginPath) => bindAccountGraph(hosts, { path, accessToken, igUserId, facebookPageId: null }).readProfile();
  let facebook: { text: string; answered: boolean };
  try {
    const profile = await probe('facebook_login');
    if (profile.igUserId === igUserId) return { path: 'facebook_login', profile };
    const page = `the token is for the Facebook Page "${profile.page?.name ?? ''}" (${profile.page?.id ?? '?'})`;
    facebook = { text: profile.igUserId ? `${page}, linked to Instagram account ${profile.igUserId}` : `${page}, which has no Instagram account linked`, answered: true };
  } catch (error) {
    facebook = describe(error);
  }
  let instagram: { text: string; answered: boolean };
  try {
    const profile = await probe('instagram_login');
    if (profile.igUserId === igUserId) return { path: 'instagram_login', profile };
    instagram = { text: `the token is for Instagram account @${profile.username ?? '?'} (${profile.igUserId ?? '?'})`, answered: true };
  } catch (error) {
    instagram = describe(error);
  }
  return { path: null, facebook: facebook.text, instagram: instagram.text, refused: facebook.answered && instagram.answered };
}

export type LegacyPathsDeps = {
  db: Db;
  /** Opens the transactions that record inbox events (a reconnection). */
  units: InboxUnitsOfWork;
  repo: AccountsRepository;
  status: AccountStatus;
  hosts: GraphHosts;
  mode: LegacyApiMode;
  log: Logger;
};

/**
 * Finds out, once, which path an account whose path is unknown (the legacy account) takes, and records it with the
 * profile (and Page) it read. A token neither host takes leaves the account `reauth_required` with both answers as
 * the reason; when Meta could not be reached the path stays unknown and the next Graph call asks again.
 */
export function createLegacyPaths(deps: LegacyPathsDeps) {
  const { repo, status, log } = deps;
  const inFlight = new Map<string, Promise<LoginPath | null>>();

  async function detect(c: AccountCredentials): Promise<LoginPath | null> {
    if (deps.mode !== 'auto') {
      const path: LoginPath = deps.mode === 'facebook' ? 'facebook_login' : 'instagram_login';
      await repo.update(c.accountId, { loginPath: path });
      return path;
    }
    const found = await detectTokenPath(deps.hosts, c.accessToken, c.igUserId);
    if (found.path) {
      await deps.units.run(async (uow) => {
        const { tx } = uow;
        await repo.update(c.accountId, { loginPath: found.path, ...profileFieldsOf(found.profile), lastSyncedAt: new Date() }, tx);
        // A token a host now takes works: an account held back by an earlier refusal is active again.
        if (c.status !== 'active') {
          await status.markActive(c.accountId, tx);
          await status.recordConnected(c.accountId, uow);
        }
      });
      log.info({ accountId: c.accountId, path: found.path }, 'legacy account path detected');
      return found.path;
    }
    const reason = `Neither Meta host takes the configured token for Instagram account ${c.igUserId}. graph.facebook.com: ${found.facebook}. graph.instagram.com: ${found.instagram}.`;
    if (found.refused) await status.markReauthRequired(c.accountId, reason);
    else log.warn({ accountId: c.accountId }, 'could not find out which Meta host the legacy token belongs to yet (Meta unreachable); will ask again');
    return null;
  }

  return {
    /** The path of an account whose path is unknown: asked once at a time per account, recorded when found. */
    resolve(c: AccountCredentials): Promise<LoginPath | null> {
      const running = inFlight.get(c.accountId);
      if (running) return running;
      const promise = detect(c).finally(() => inFlight.delete(c.accountId));
      inFlight.set(c.accountId, promise);
      return promise;
    },
  };
}
export type LegacyPaths = ReturnType<typeof createLegacyPaths>;
