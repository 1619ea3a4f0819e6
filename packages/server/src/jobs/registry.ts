import { z } from 'zod';
import { defineJob, type JobType } from './job.ts';

/*
 * Every background task of Threadline, in one table: name, payload, retry policy, how workers take it, schedule.
 * Work is enqueued by these (`queue.enqueue(jobs.messagesSend, { messageId })`), never by a name written in place;
 * each handler is bound in its module's *.jobs.ts, and a worker refuses to start while one of these has none.
 * CRM deliveries are not here: they are rows in crm_deliveries with their own dispatcher (docs/decisions/0006).
 */

const nothing = z.object({});
const messageLookup = z.object({ accountId: z.string(), mid: z.string() });

/** Where a message lookup goes once its retries are spent (pg-boss's dead-letter queue): its edit stays without text. */
const messagesLookupGaveUp = defineJob({
  name: 'messages.lookup_gave_up',
  payload: messageLookup,
  retry: { retries: 3, delaySeconds: 30 },
});

export const jobs = {
  // messages: sending, the text of edits that came without it, the sweeper, reconciliation
  messagesLookupGaveUp,
  /** retries and back-off are tuned by MESSAGE_LOOKUP_RETRIES and MESSAGE_LOOKUP_RETRY_DELAY_SECONDS (defaults here) */
  messagesLookup: defineJob({
    name: 'messages.lookup',
    payload: messageLookup,
    retry: { retries: 5, delaySeconds: 30, backoff: true, expireInSeconds: 120, deadLetter: messagesLookupGaveUp },
    worker: { concurrency: 2 },
  }),
  messagesSend: defineJob({
    name: 'messages.send',
    payload: z.object({ messageId: z.string() }),
    retry: { retries: 3, delaySeconds: 5, backoff: true, expireInSeconds: 120 },
    // Up to 4 × 25 sends per poll: Meta allows 100 per second per account; the handler is idempotent, so a batch
    // retried after a crash skips what it already sent. A send wakes a worker at once; a retry (5 s, 10 s, 20 s
    // after) starts within 2 s of its time.
    worker: { concurrency: 4, batchSize: 25, pollingIntervalSeconds: 0.5, backstopSeconds: 2 },
  }),
  messagesSweep: defineJob({ name: 'messages.sweep', payload: nothing, retry: { retries: 1, expireInSeconds: 300 }, schedule: '* * * * *' }),
  /** the schedule follows RECONCILE_INTERVAL_MINUTES (default here) */
  messagesReconcile: defineJob({ name: 'messages.reconcile', payload: nothing, retry: { retries: 0, expireInSeconds: 1800 }, schedule: '*/10 * * * *' }),

  // media: mirroring retries with back-off on CDN outages
  mediaMirror: defineJob({
    name: 'media.mirror',
    payload: z.object({ mediaId: z.string() }),
    retry: { retries: 6, delaySeconds: 30, backoff: true, expireInSeconds: 300 },
    worker: { concurrency: 2 },
  }),
  mediaDelete: defineJob({
    name: 'media.delete',
    payload: z.object({ messageId: z.string() }),
    retry: { retries: 5, delaySeconds: 30, backoff: true, expireInSeconds: 120 },
  }),
  mediaDeleteUnsentUploads: defineJob({
    name: 'media.delete_unsent_uploads',
    payload: nothing,
    retry: { retries: 3, delaySeconds: 60, expireInSeconds: 600 },
    schedule: '41 * * * *',
  }),

  // contacts: one job per ingested batch; a batch's profiles one after another, each a Graph call of at most 15 s
  contactsFetchProfile: defineJob({
    name: 'contacts.fetch_profile',
    payload: z.object({ contactIds: z.array(z.string()) }),
    retry: { retries: 5, delaySeconds: 30, backoff: true, expireInSeconds: 600 },
    worker: { concurrency: 2 },
  }),

  // conversations: a snoozed conversation's wake-up, enqueued due at its time (found by polling: a wake-up is sent
  // when the snooze is set, not when it ends), and a sweep every minute
  conversationsWakeSnoozed: defineJob({
    name: 'conversations.wake_snoozed',
    payload: nothing,
    retry: { retries: 3, delaySeconds: 5, expireInSeconds: 120 },
    worker: { pollingIntervalSeconds: 1, backstopSeconds: 1 },
    schedule: '* * * * *',
  }),

  // accounts
  accountsRefreshTokens: defineJob({
    name: 'accounts.refresh_tokens',
    payload: nothing,
    retry: { retries: 3, delaySeconds: 300, expireInSeconds: 1800 },
    schedule: '23 * * * *',
  }),
  accountsSyncProfiles: defineJob({
    name: 'accounts.sync_profiles',
    payload: nothing,
    retry: { retries: 3, delaySeconds: 900, expireInSeconds: 1800 },
    schedule: '41 4 * * *',
  }),
  /** which Meta host the old single account's token belongs to, found out after a start that configured it */
  accountsDetectLegacyPath: defineJob({
    name: 'accounts.detect_legacy_path',
    payload: z.object({ accountId: z.string() }),
    retry: { retries: 8, delaySeconds: 60, backoff: true },
  }),

  // housekeeping
  authCleanup: defineJob({ name: 'auth.cleanup', payload: nothing, retry: { retries: 3, delaySeconds: 60, expireInSeconds: 300 }, schedule: '17 * * * *' }),
  teammatesCleanup: defineJob({
    name: 'teammates.cleanup',
    payload: nothing,
    retry: { retries: 3, delaySeconds: 60, expireInSeconds: 300 },
    schedule: '23 * * * *',
  }),
  oauthCleanupStates: defineJob({
    name: 'oauth.cleanup_states',
    payload: nothing,
    retry: { retries: 3, delaySeconds: 60, expireInSeconds: 300 },
    schedule: '11 * * * *',
  }),
  webhooksPrune: defineJob({ name: 'webhooks.prune', payload: nothing, retry: { retries: 3, delaySeconds: 300, expireInSeconds: 1800 }, schedule: '23 3 * * *' }),
  realtimePrune: defineJob({ name: 'realtime.prune', payload: nothing, retry: { retries: 1, expireInSeconds: 300 }, schedule: '*/10 * * * *' }),
  crmRetention: defineJob({
    name: 'crm.retention',
    payload: nothing,
    retry: { retries: 3, delaySeconds: 300, expireInSeconds: 600, deleteAfterSeconds: 7 * 86_400 },
    schedule: '23 3 * * *',
  }),
} satisfies Record<string, JobType<object>>;

export type JobRegistry = Readonly<Record<string, JobType<object>>>;
