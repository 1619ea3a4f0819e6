import type { Queue } from '../../jobs/queue.ts';
import { jobs } from '../../jobs/registry.ts';
import type { OAuthStateRepository } from './oauth-state.repository.ts';
import type { PageChoicesRepository } from './page-choices.repository.ts';
import type { MetaCallbacksRepository } from './meta-callbacks.repository.ts';

/** Expired (and long-used) OAuth states and Facebook Page choices are deleted every hour. */
export function defineOAuthJobs(
  queue: Queue,
  deps: { states: OAuthStateRepository; pageChoices: PageChoicesRepository; signedRequests: Pick<MetaCallbacksRepository, 'forgetSignedRequestsBefore'>; now: () => Date },
) {
  queue.handle(jobs.oauthCleanupStates, async () => {
      await deps.states.deleteExpired(deps.now());
      await deps.pageChoices.deleteExpired(deps.now());
      // a request issued more than a day ago is refused anyway: two days of memory is enough
      await deps.signedRequests.forgetSignedRequestsBefore(new Date(deps.now().getTime() - 2 * 86_400_000));
  });
}
