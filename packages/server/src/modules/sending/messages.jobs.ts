import { and, eq, lt, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { accounts, messages } from '../../db/schema/index.ts';
import type { Queue } from '../../jobs/queue.ts';
import type { Idempotency } from './idempotency.ts';
import type { SendJob } from './send-job.ts';
import { INTERRUPTED_SEND_MESSAGE } from './send-recovery.ts';

/** The message lookup's job payload (ingest/message-lookup.ts): which message of which account to read from Meta. */
type MessageLookupJob = { accountId: string; mid: string };

/**
 * The reconciler and the message lookup are ingest's (ingest/reconcile.ts, ingest/message-lookup.ts), wired in the
 * composition root; sending states only the calls its jobs make, so it does not import ingest.
 */
export type MessagesJobsDeps = {
  db: Db;
  sendJob: SendJob;
  reconciler: { settleUnknown(olderThanSeconds: number): Promise<void>; reconcileAll(): Promise<number> };
  idempotency: Idempotency;
  now: () => Date;
  unknownResolveAfterSeconds: number;
  reconcileIntervalMinutes: number;
  lookup: { run(job: MessageLookupJob): Promise<void>; giveUp(job: MessageLookupJob): Promise<void> };
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
      const waiting = await deps.db
        .select({ id: messages.id })
        .from(messages)
        .innerJoin(accounts, eq(accounts.id, messages.accountId))
        .where(
          and(
            eq(messages.status, 'queued'),
            lt(messages.updatedAt, stale),
            eq(accounts.status, 'active'),
            sql`(${accounts.sendPausedUntil} is null or ${accounts.sendPausedUntil} < ${now})`,
          ),
        )
        .limit(500);
      for (const { id } of waiting) {
        await queue.send('messages.send', { messageId: id }, { singletonKey: `send:${id}` });
      }
      await deps.db
        .update(messages)
        .set({ status: 'unknown', errorMessage: INTERRUPTED_SEND_MESSAGE, updatedAt: now })
        .where(and(eq(messages.status, 'sending'), lt(messages.updatedAt, new Date(now.getTime() - 5 * 60_000))));
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
