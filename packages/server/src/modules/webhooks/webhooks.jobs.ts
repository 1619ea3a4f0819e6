import type { Queue } from '../../jobs/queue.ts';
import type { WebhookEventsRepository } from './webhook-events.repository.ts';

/** Raw events are kept for the retention period (default 30 days), then pruned; the inbox rows they made stay. */
export function defineWebhookJobs(queue: Queue, deps: { repo: WebhookEventsRepository; retentionDays: number }) {
  queue.define<Record<string, never>>({
    name: 'webhooks.prune',
    schedule: '23 3 * * *',
    queue: { retryLimit: 3, retryDelay: 300, expireInSeconds: 1800 },
    handler: async () => {
      await deps.repo.deleteOlderThan(new Date(Date.now() - deps.retentionDays * 86_400_000));
    },
  });
}
