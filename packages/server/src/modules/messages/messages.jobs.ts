import type { Db } from '../../db/client.ts';
import type { Queue } from '../../jobs/queue.ts';
import type { Idempotency } from './idempotency.ts';
import type { MessageLookup, MessageLookupJob } from './message-lookup.ts';
import { createOutboundMessagesRepository } from './outbound-messages.repository.ts';
import type { Reconciler } from './reconcile.ts';
import type { SendJob } from './send-job.ts';
import { INTERRUPTED_SEND_MESSAGE } from './send-recovery.ts';

export type MessagesJobsDeps = {
  db: Db;
  sendJob: SendJob;
  reconciler: Reconciler;
  idempotency: Idempotency;
  now: () => Date;
  unknownResolveAfterSeconds: number;
  reconcileIntervalMinutes: number;
  lookup: MessageLookup;
  lookupRetry: { retries: number; retryDelaySeconds: number };
};

/** Where a message lookup goes once its retries are spent (pg-boss's dead-letter queue): its edit stays without text. */
export const LOOKUP_GAVE_UP_QUEUE = 'messages.lookup_gave_up';

/**
 * The send job, and a sweeper that keeps every queue moving: queued messages of active accounts that have no job
 * (a parked queue after re-authorization, a lost job) are enqueued again; a send stuck in `sending` (its worker
 * died mid-call) becomes `unknown`; unknown outcomes are settled; old idempotency keys are pruned.
 */
export function defineMessagesJobs(queue: Queue, deps: MessagesJobsDeps) {
  const outbound = createOutboundMessagesRepository(deps.db);
  // defined first: a dead-letter queue must exist before the queue that names it
  queue.define<MessageLookupJob>({
    name: LOOKUP_GAVE_UP_QUEUE,
    queue: { retryLimit: 3, retryDelay: 30 },
    handler: async (job) => deps.lookup.giveUp(job),
  });
  const { retries, retryDelaySeconds } = deps.lookupRetry;
  queue.define<MessageLookupJob>({
    name: 'messages.lookup',
    concurrency: 2,
    queue: {
      retryLimit: retries,
      retryDelay: retryDelaySeconds,
      retryBackoff: retryDelaySeconds > 0,
      expireInSeconds: 120,
      deadLetter: LOOKUP_GAVE_UP_QUEUE,
    },
    handler: async (job) => deps.lookup.run(job),
  });

  queue.define<{ messageId: string }>({
    name: 'messages.send',
    // Up to 4 × 25 sends per poll: Meta allows 100 per second per account; the handler is idempotent, so a batch
    // retried after a crash skips what it already sent.
    concurrency: 4,
    batchSize: 25,
    pollingIntervalSeconds: 0.5,
    queue: { retryLimit: 3, retryDelay: 5, retryBackoff: true, expireInSeconds: 120 },
    handler: async ({ messageId }) => deps.sendJob.run(messageId),
  });

  queue.define<Record<string, never>>({
    name: 'messages.sweep',
    schedule: '* * * * *',
    queue: { retryLimit: 1, expireInSeconds: 300 },
    handler: async () => {
      const now = deps.now();
      const stale = new Date(now.getTime() - 60_000);
      const waiting = await outbound.waitingToSend(now, stale, 500);
      for (const { id } of waiting) {
        await queue.send('messages.send', { messageId: id }, { singletonKey: `send:${id}` });
      }
      await outbound.markStuckUnknown(new Date(now.getTime() - 5 * 60_000), INTERRUPTED_SEND_MESSAGE, now);
      await deps.reconciler.settleUnknown(deps.unknownResolveAfterSeconds);
      await deps.idempotency.prune(new Date(now.getTime() - 24 * 3_600_000));
    },
  });

  queue.define<Record<string, never>>({
    name: 'messages.reconcile',
    schedule: `*/${Math.min(59, Math.max(1, deps.reconcileIntervalMinutes))} * * * *`,
    queue: { retryLimit: 0, expireInSeconds: 1800 },
    handler: async () => {
      await deps.reconciler.reconcileAll();
    },
  });
}
