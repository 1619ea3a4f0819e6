import type { Queue } from '../../jobs/queue.ts';
import { jobs } from '../../jobs/registry.ts';
import type { CrmDispatcher } from './dispatch/crm-dispatcher.ts';
import type { CrmRepository } from './dispatch/crm.repository.ts';

/** Succeeded and cancelled deliveries are kept this long for the delivery log, then removed. */
export const DELIVERY_RETENTION_DAYS = 30;

/**
 * CRM background work. Deliveries are rows in crm_deliveries, claimed by the dispatcher of every worker
 * process (see dispatch/crm-dispatcher.ts), so their retries live in our tables for days, not in the queue; the
 * queue only runs the daily clean-up. Returns the dispatcher's start and stop, called with the workers.
 */
export function defineCrmJobs(
  queue: Queue,
  deps: { crm: { repo: Pick<CrmRepository, 'deleteFinishedBefore'>; dispatcher: Pick<CrmDispatcher, 'start' | 'stop'> }; now: () => Date },
) {
  queue.handle(jobs.crmRetention, async () => {
    await deps.crm.repo.deleteFinishedBefore(new Date(deps.now().getTime() - DELIVERY_RETENTION_DAYS * 86_400_000));
  });
  return {
    start: () => deps.crm.dispatcher.start(),
    stop: () => deps.crm.dispatcher.stop(),
  };
}
