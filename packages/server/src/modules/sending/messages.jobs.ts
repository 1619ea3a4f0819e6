import type { Db } from '../../db/client.ts';
import type { Queue } from '../../jobs/queue.ts';
import { jobs } from '../../jobs/registry.ts';
import type { Idempotency } from './idempotency.ts';
import type { SendJob } from './send-job.ts';
import { createOutboundMessagesRepository } from './outbound-messages.repository.ts';
import { INTERRUPTED_SEND_MESSAGE } from './send-recovery.ts';

/** The reconciler is ingest's (ingest/reconcile.ts), wired in the composition root: sending states the one call it makes. */
export type MessagesJobsDeps = {
  db: Db;
  sendJob: SendJob;
  reconciler: { settleUnknown(olderThanSeconds: number): Promise<void> };
  idempotency: Idempotency;
  now: () => Date;
  unknownResolveAfterSeconds: number;
};

/**
 * The send job, and a sweeper that keeps every queue moving: queued messages of active accounts that have no job
 * (a parked queue after re-authorization, a lost job) are enqueued again; a send stuck in `sending` (its worker
 * died mid-call) becomes `unknown`; unknown outcomes are settled; old idempotency keys are pruned.
 */
export function defineMessagesJobs(queue: Queue, deps: MessagesJobsDeps) {
  const outbound = createOutboundMessagesRepository(deps.db);

  queue.handle(jobs.messagesSend, async ({ messageId }) => deps.sendJob.run(messageId));

  queue.handle(jobs.messagesSweep, async () => {
    const now = deps.now();
    const stale = new Date(now.getTime() - 60_000);
    const waiting = await outbound.waitingToSend(now, stale, 500);
    for (const { id } of waiting) {
      await queue.enqueue(jobs.messagesSend, { messageId: id }, { singletonKey: `send:${id}` });
    }
    await outbound.markStuckUnknown(new Date(now.getTime() - 5 * 60_000), INTERRUPTED_SEND_MESSAGE, now);
    await deps.reconciler.settleUnknown(deps.unknownResolveAfterSeconds);
    await deps.idempotency.prune(new Date(now.getTime() - 24 * 3_600_000));
  });
}
