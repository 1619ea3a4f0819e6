import type { Db } from '../../db/client.ts';
import { classifyGraphError, isGraphApiError } from '../../instagram/graph-client.ts';
import type { Queue } from '../../jobs/queue.ts';
import { jobs } from '../../jobs/registry.ts';
import type { Logger } from '../../shared/logger.ts';
import type { AccountGraphs } from '../accounts/account-graphs.ts';
import type { AccountStatus } from '../accounts/account-status.ts';
import { createContactProfilesRepository } from './contact-profiles.repository.ts';

/**
 * A new contact's profile (name, username, picture, followers, follow state) fetched in the background. Meta only
 * answers once the person has messaged the account (the consent rule); a refusal is recorded on the contact,
 * never replaced by a made-up name. Temporary failures retry; 190 sends the account to re-authorization.
 */
export function defineProfileFetchJob(
  queue: Queue,
  deps: { db: Db; graphs: Pick<AccountGraphs, 'forAccount'>; status: AccountStatus; log: Logger },
) {
  const repo = createContactProfilesRepository(deps.db);
  // One job per ingested batch; fetching again a profile already fetched on a retry is harmless.
  queue.handle(jobs.contactsFetchProfile, async ({ contactIds }) => {
    for (const contactId of contactIds) await fetchOne(contactId);
  });

  async function fetchOne(contactId: string) {
    const contact = await repo.find(contactId);
    if (!contact) return;
    const client = await deps.graphs.forAccount(contact.accountId);
    if (!client) {
      await repo.setError(contactId, 'the account has no usable token');
      return;
    }
    try {
      const p = await client.getUserProfile(contact.igsid);
      await repo.setProfile(contactId, {
        name: p.name ?? contact.name,
        username: p.username ?? contact.username,
        profilePicUrl: p.profilePic ?? contact.profilePicUrl,
        followerCount: p.followerCount ?? contact.followerCount,
        isUserFollowBusiness: p.isUserFollowBusiness ?? contact.isUserFollowBusiness,
        isBusinessFollowUser: p.isBusinessFollowUser ?? contact.isBusinessFollowUser,
        isVerifiedUser: p.isVerifiedUser ?? contact.isVerifiedUser,
      });
    } catch (error) {
      const kind = classifyGraphError(error);
      const detail = isGraphApiError(error) ? `${error.code ?? '?'}/${error.subcode ?? '-'} ${error.message}` : String(error);
      if (kind === 'reauth') {
        await deps.status.markReauthRequired(contact.accountId, `profile fetch: ${detail}`);
        await repo.setError(contactId, 'the account needs re-authorization');
        return;
      }
      if (kind === 'transient' || kind === 'throttled' || kind === 'unknown_outcome') throw error;
      deps.log.info({ contactId, detail }, 'profile not available');
      await repo.setError(contactId, detail.slice(0, 300));
    }
  }
}
