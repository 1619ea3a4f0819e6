import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import type { Queue } from '../jobs/queue.ts';
import type { Logger } from '../shared/logger.ts';
import type { MetricsRegistry } from '../shared/metrics.ts';
import type { AccountAccess } from '../modules/accounts/account-access.ts';
import type { AccountGraphs } from '../modules/accounts/account-graphs.ts';
import type { AccountStatus } from '../modules/accounts/account-status.ts';
import type { InboxUnitsOfWork } from '../events/inbox-events.ts';
import { createInboxReadRepository } from '../modules/inbox/inbox-read.repository.ts';
import { createInboxService } from '../modules/inbox/inbox.service.ts';
import type { ApplyHooks } from '../modules/ingest/ingest-apply.ts';
import { createDirectActions } from '../modules/sending/direct-actions.ts';
import { createIdempotency } from '../modules/sending/idempotency.ts';
import { createMessagesService, type MessagesServiceDeps } from '../modules/sending/messages.service.ts';
import { createReconciler } from '../modules/ingest/reconcile.ts';
import { createUploadLinks } from '../modules/sending/media/upload-links.ts';
import { createSendJob } from '../modules/sending/send-job.ts';
import { applyWaiting } from '../modules/ingest/ingest-message-events.ts';
import { createSendRecovery } from '../modules/sending/send-recovery.ts';
import { createSendingRepository } from '../modules/sending/sending.repository.ts';
import { createSendRateLimiter } from '../modules/sending/send-rate-limiter.ts';

export type MessagingDeps = {
  config: Config;
  db: Db;
  queue: Queue;
  access: AccountAccess;
  /** The account-bound Graph clients every Meta call of this module goes through. */
  graphs: AccountGraphs;
  accountStatus: AccountStatus;
  units: InboxUnitsOfWork;
  hooks: ApplyHooks;
  metrics: MetricsRegistry;
  log: Logger;
  now: () => Date;
  /** Key for the signed public URLs Meta fetches uploaded attachments from. */
  uploadUrlKey: Buffer;
  /** This process's registry id (see jobs/process-liveness.ts). */
  processId: string;
  /** Counts a search per caller (inbox.service.ts). */
  countSearch: (callerKey: string) => Promise<void>;
  /** A person's reply to an unassigned conversation assigns it to them. */
  onUserReply?: MessagesServiceDeps['onUserReply'];
};

/** Reading and answering conversations: inbox reads, the send queue, direct actions, reconciliation. */
export function buildMessagingServices(deps: MessagingDeps) {
  const { config, db, queue, graphs, now } = deps;
  const inboxRepo = createInboxReadRepository(db);
  const inbox = createInboxService({ repo: inboxRepo, access: deps.access, humanAgentEnabled: config.instagram.humanAgentEnabled, now, countSearch: deps.countSearch });
  const limiter = createSendRateLimiter(db, config.sending);
  const idempotency = createIdempotency(db);
  const uploadLinks = createUploadLinks({ key: deps.uploadUrlKey, origin: config.publicBaseUrl.origin, ttlSeconds: config.media.uploadLinkTtlSeconds, now });
  const messages = createMessagesService({
    db,
    queue,
    units: deps.units,
    humanAgentEnabled: config.instagram.humanAgentEnabled,
    publicUploadUrl: (mediaId) => uploadLinks.url(mediaId),
    now,
    ...(deps.onUserReply ? { onUserReply: deps.onUserReply } : {}),
  });
  const sendJob = createSendJob({
    db,
    queue,
    graphs,
    accountStatus: deps.accountStatus,
    limiter,
    units: deps.units,
    log: deps.log.child({ module: 'send' }),
    now,
    outcomes: deps.metrics.counter('threadline_messages_sent_total', 'Send API outcomes of outbound messages', ['outcome']),
    processId: deps.processId,
    uploadLinks,
    applyWaiting,
  });
  const sendRecovery = createSendRecovery({ db, repo: createSendingRepository(db), units: deps.units, now });
  const actions = createDirectActions({ db, graphs, accountStatus: deps.accountStatus, limiter, units: deps.units, now });
  const reconciler = createReconciler({
    db,
    graphs,
    accountStatus: deps.accountStatus,
    units: deps.units,
    hooks: deps.hooks,
    log: deps.log.child({ module: 'reconcile' }),
    gaps: deps.metrics.counter('threadline_reconcile_gaps_total', 'Messages found by reconciliation that no webhook delivered', ['account']),
    now,
  });
  return { inboxRepo, inbox, limiter, idempotency, messages, sendJob, sendRecovery, actions, reconciler, uploadLinks };
}
export type MessagingServices = ReturnType<typeof buildMessagingServices>;
