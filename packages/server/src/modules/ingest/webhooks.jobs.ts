import type { Queue } from '../../jobs/queue.ts';
import { jobs } from '../../jobs/registry.ts';
import type { WaitingEventsRepository } from './waiting-events.repository.ts';
import type { WebhookEventsRepository } from '../intake/webhook-events.repository.ts';

/**
 * Raw events are kept for the retention period (default 30 days), then pruned; the inbox rows they made stay. So
 * do the events that waited for a message (applied or not): a message that has not come in a month will not.
 */
export function defineWebhookJobs(queue: Queue, deps: { repo: WebhookEventsRepository; waiting: WaitingEventsRepository; retentionDays: number }) {
  queue.handle(jobs.webhooksPrune, async () => {
    const cutoff = new Date(Date.now() - deps.retentionDays * 86_400_000);
    await deps.repo.deleteOlderThan(cutoff);
    await deps.waiting.deleteOlderThan(cutoff);
  });
}
