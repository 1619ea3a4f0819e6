import { defineAccountJobs } from '../modules/accounts/accounts.jobs.ts';
import { defineAuthJobs } from '../modules/auth/auth.jobs.ts';
import { defineIngestJobs } from '../modules/ingest/ingest.jobs.ts';
import { defineMediaJobs } from '../modules/sending/media/media.jobs.ts';
import { defineMessagesJobs } from '../modules/sending/messages.jobs.ts';
import { defineOAuthJobs } from '../modules/oauth/oauth.jobs.ts';
import { defineProfileFetchJob } from '../modules/ingest/profile-fetch.ts';
import { defineRealtimeJobs } from '../modules/realtime/realtime.jobs.ts';
import { defineTeammatesJobs } from '../modules/teammates/teammates.jobs.ts';
import { defineWebhookJobs } from '../modules/ingest/webhooks.jobs.ts';
import { defineWorkflowJobs } from '../modules/inbox/workflow/workflow.jobs.ts';
import type { Database } from '../db/client.ts';
import type { Config } from '../config.ts';
import type { Queue } from '../jobs/queue.ts';
import type { Logger } from '../shared/logger.ts';
import type { Services } from '../app-services.ts';

/** Binds every background job's handler to the services it needs (jobs/registry.ts declares them). */
export function defineJobs(queue: Queue, s: Services, db: Database['db'], config: Config, now: () => Date, log: Logger) {
  defineAuthJobs(queue, s, now);
  defineTeammatesJobs(queue, s, now);
  defineAccountJobs(queue, s);
  defineOAuthJobs(queue, { states: s.oauthStates, pageChoices: s.pageChoices, signedRequests: s.metaCallbacksRepo, now });
  defineMediaJobs(queue, s.media, now);
  defineProfileFetchJob(queue, { db, graphs: s.accountGraphs, status: s.accountStatus, log });
  defineWebhookJobs(queue, { repo: s.webhookEvents, waiting: s.waitingEvents, retentionDays: config.webhooks.retentionDays });
  defineMessagesJobs(queue, {
    db,
    sendJob: s.sendJob,
    reconciler: s.reconciler,
    idempotency: s.idempotency,
    now,
    unknownResolveAfterSeconds: config.sending.unknownResolveAfterSeconds,
  });
  defineIngestJobs(queue, {
    lookup: s.messageLookup,
    lookupRetry: config.messageLookup,
    reconciler: s.reconciler,
    reconcileIntervalMinutes: config.sending.reconcileIntervalMinutes,
  });
  defineRealtimeJobs(queue, s.realtimeLog, now);
  defineWorkflowJobs(queue, s.workflow);
}
