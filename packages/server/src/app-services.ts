import { randomUUID } from 'node:crypto';
import type { Config } from './config.ts';
import type { Database } from './db/client.ts';
import { createFacebookClient } from './instagram/facebook-client.ts';
import { createGraphClient } from './instagram/graph-client.ts';
import { createProcessLiveness } from './jobs/process-liveness.ts';
import { createProcessesRepository } from './jobs/processes.repository.ts';
import type { Queue } from './jobs/queue.ts';
import { jobs } from './jobs/registry.ts';
import { deriveKey } from './shared/crypto/key-derivation.ts';
import type { TokenVault } from './shared/crypto/token-vault.ts';
import type { Logger } from './shared/logger.ts';
import { createMetricsRegistry } from './shared/metrics.ts';
import { parseCidrList } from './shared/net/ip-policy.ts';
import { createSafeHttpClient } from './shared/net/safe-http.ts';
import { createAccountAccess } from './modules/accounts/account-access.ts';
import { buildMessagingServices } from './composition/messaging-services.ts';
import { createRealtimeLog } from './modules/realtime/realtime-log.ts';
import { createAccountGraphs } from './modules/accounts/account-graphs.ts';
import { createAccountStatus } from './modules/accounts/account-status.ts';
import { createAccountTokens } from './modules/accounts/account-tokens.ts';
import { buildAccountServices } from './composition/account-services.ts';
import { createAccountsRepository } from './modules/accounts/accounts.repository.ts';
import { createLegacyPaths } from './modules/accounts/legacy-path.ts';
import { buildOAuthServices } from './composition/oauth-services.ts';
import { createApiKeysService } from './modules/api-keys/api-keys.service.ts';
import { createAuditLog } from './modules/audit/audit.repository.ts';
import { createAuthRepository } from './modules/auth/auth.repository.ts';
import { createAuthService } from './modules/auth/auth.service.ts';
import { createLoginThrottle } from './modules/auth/login-throttle.ts';
import { createUploadsRepository } from './modules/sending/media/uploads.repository.ts';
import { createInvitationsService } from './modules/teammates/invitations.service.ts';
import { createPasswordResets } from './modules/teammates/password-resets.service.ts';
import { createTeammatesRepository } from './modules/teammates/teammates.repository.ts';
import { createRateCountersRepository } from './modules/auth/rate-counters.repository.ts';
import { createRequestThrottle } from './modules/auth/request-throttle.ts';
import { createSessionTokens } from './modules/auth/session-tokens.ts';
import type { InboxEventSink } from './events/inbox-events.ts';
import { createCannedRepliesRepository } from './modules/inbox/canned-replies/canned-replies.repository.ts';
import { createCannedRepliesService } from './modules/inbox/canned-replies/canned-replies.service.ts';
import { createContactPanelService } from './modules/inbox/contacts/contact-panel.service.ts';
import { createContactsRepository } from './modules/inbox/contacts/contacts.repository.ts';
import { createPreferencesRepository } from './modules/inbox/preferences/preferences.repository.ts';
import { createLabelsRepository } from './modules/inbox/labels/labels.repository.ts';
import { createLabelsService } from './modules/inbox/labels/labels.service.ts';
import { createMediaService } from './modules/sending/media/media.service.ts';
import { createIngestService } from './modules/ingest/ingest.service.ts';
import type { ApplyHooks } from './modules/ingest/ingest-apply.ts';
import { createWebhookEventsRepository } from './modules/intake/webhook-events.repository.ts';
import { createWaitingEventsRepository } from './modules/ingest/waiting-events.repository.ts';
import { createFetchMessage, createMessageLookup } from './modules/ingest/message-lookup.ts';
import { createWebhookProcessor } from './modules/ingest/webhook-processor.ts';
import { createAutoAssignment } from './modules/inbox/workflow/assignment.ts';
import { createNotesService } from './modules/inbox/workflow/notes.service.ts';
import { createWorkflowService } from './modules/inbox/workflow/workflow.service.ts';
import { createOperationsRepository } from './modules/operations/operations.repository.ts';
import { registerOperationsGauges } from './modules/operations/operations-metrics.ts';
import { mediaErrors } from './modules/sending/media/media.errors.ts';
import { createUnitsOfWork } from './db/unit-of-work.ts';
import { createCrm } from './composition/crm.ts';
import { createCrmMetrics } from './modules/delivery/index.ts';
import { DEAD_AFTER_MS } from './jobs/process-liveness.ts';

export type ServiceDeps = {
  config: Config;
  database: Database;
  queue: Queue;
  vault: TokenVault;
  log: Logger;
  sessionSecret: string;
  now: () => Date;
  /** Further writers of every unit of work's inbox events, after the live-update log and the CRM outbox (tests). */
  extraSinks?: readonly InboxEventSink[];
};

/** Every service, built once, in dependency order. Routes and jobs receive what they need from here. */
export function buildServices(deps: ServiceDeps) {
  const { config, database, queue, vault, log, now } = deps;
  const db = database.db;
  /** This process in the registry of running processes: every claim it makes names it (see process-liveness.ts). */
  const processId = randomUUID();
  const metrics = createMetricsRegistry();
  const operations = createOperationsRepository(db);
  registerOperationsGauges(metrics, operations);
  const audit = createAuditLog(db, log.child({ module: 'audit' }));
  const authRepo = createAuthRepository(db);
  const tokens = createSessionTokens(deriveKey(deps.sessionSecret, 'session-jwt'), now);
  const rateCounters = createRateCountersRepository(db);
  const throttle = createLoginThrottle(rateCounters, config.login, now);
  const requestThrottle = createRequestThrottle(rateCounters, now);
  const access = createAccountAccess(db);
  const apiKeys = createApiKeysService(db, audit, now);

  const graph = createGraphClient({
    authorizeUrl: config.instagram.authorizeUrl,
    apiUrl: config.instagram.apiUrl,
    graphUrl: config.instagram.graphUrl,
    graphVersion: config.instagram.graphVersion,
    clientId: config.instagram.clientId,
    clientSecret: config.instagram.clientSecret,
    log,
  });
  const facebook = createFacebookClient({
    dialogUrl: config.facebook.dialogUrl,
    graphUrl: config.facebook.graphUrl,
    graphVersion: config.facebook.graphVersion,
    appId: config.facebook.oauth?.appId,
    appSecret: config.facebook.oauth?.appSecret,
    log,
  });
  // CRM delivery (outbox, service, dispatcher); its claims name this process, dead once silent for DEAD_AFTER_MS. It
  // opens its transactions with `units` (built just below, its outbox among the writers), which it reaches only once
  // a delivery or a request runs, never while it is assembled.
  const crm = createCrm({
    db,
    units: { run: (fn) => units.run(fn) },
    vault,
    audit,
    settings: config.crm,
    log: log.child({ module: 'crm' }),
    now,
    owner: { id: processId, deadAfterMs: DEAD_AFTER_MS },
    metrics: createCrmMetrics(metrics),
  });
  const realtimeLog = createRealtimeLog(db);
  /**
   * The one way to open a transaction. The inbox changes a unit records are written, before it commits, by the
   * live-update log and the CRM outbox, in this order.
   */
  const units = createUnitsOfWork(db, [realtimeLog.sink, crm.outbox, ...(deps.extraSinks ?? [])]);
  const auth = createAuthService({ units, repo: authRepo, tokens, throttle, audit });
  const accountsRepo = createAccountsRepository(db);
  const accountTokens = createAccountTokens(accountsRepo, vault, config.instagram.legacyAccount);
  const accountStatus = createAccountStatus(db, units, log.child({ module: 'accounts' }));
  // Every call made for an account goes through its account-bound client: the path decides host, token and node.
  const hosts = { instagram: graph, facebook };
  const legacyPaths = createLegacyPaths({
    db, units, repo: accountsRepo, status: accountStatus, hosts, mode: config.instagram.legacyApi, log: log.child({ module: 'accounts' }),
  });
  const accountGraphs = createAccountGraphs({ tokens: accountTokens, hosts, legacyPaths });

  const mediaHttp = createSafeHttpClient({
    allowedNetworks: parseCidrList(config.media.allowedNetworks ?? ''),
    connectTimeoutMs: 10_000,
    allowHttp: config.media.allowedNetworks !== undefined,
    allowlistSetting: 'MEDIA_ALLOWED_NETWORKS',
  });
  const uploadsRepo = createUploadsRepository(db);
  const media = createMediaService({ db, queue, http: mediaHttp, settings: config.media, units, log: log.child({ module: 'media' }), uploads: uploadsRepo });
  /** Before an upload is stored: the account's rate and quota (UPLOADS_PER_MINUTE, UPLOAD_QUOTA_BYTES). */
  const checkUpload = async (accountId: string, bytes: number) => {
    await requestThrottle.countUpload(accountId, config.media.uploadsPerMinute);
    const held = await uploadsRepo.storedBytes(accountId);
    if (held + bytes > config.media.uploadQuotaBytes) {
      throw mediaErrors.quotaExceeded(held, config.media.uploadQuotaBytes);
    }
  };

  const webhookEvents = createWebhookEventsRepository(db);
  const autoAssignment = createAutoAssignment({ audit, now });
  const ingestHooks: ApplyHooks = {
    onNewContacts: async (tx, contacts) => {
      await queue.enqueueInTx(tx, jobs.contactsFetchProfile, { contactIds: contacts.map((c) => c.id) });
    },
    onAttachments: (tx, message) => media.scheduleMirror(tx, message),
    onMessageDeleted: (tx, message) => media.scheduleDelete(tx, message),
    onEditWithoutText: async (tx, message) => {
      await queue.enqueueInTx(tx, jobs.messagesLookup, { accountId: message.accountId, mid: message.mid });
    },
    onConversationsOpened: (tx, opened) => autoAssignment.autoAssign(tx, opened),
  };
  const ingest = createIngestService({ db, log: log.child({ module: 'ingest' }), hooks: ingestHooks });
  const messaging = buildMessagingServices({
    config, db, queue, access, graphs: accountGraphs, accountStatus, units, hooks: ingestHooks, metrics, log, now,
    uploadUrlKey: deriveKey(deps.sessionSecret, 'media-url'),
    processId,
    countSearch: (callerKey) => requestThrottle.countSearch(callerKey, config.searchRatePerMinute),
    onUserReply: autoAssignment.assignOnReply,
  });
  const workflow = createWorkflowService({ db, queue, units, access, inbox: messaging.inbox, audit, now });
  const notes = createNotesService({ db, units, inbox: messaging.inbox, audit, now });
  const labels = createLabelsService({ db, repo: createLabelsRepository(db), access, inbox: messaging.inbox, units, audit, now });
  const cannedReplies = createCannedRepliesService({ repo: createCannedRepliesRepository(db), access, inbox: messaging.inbox, audit });
  const contactPanel = createContactPanelService({ repo: createContactsRepository(db), access, inbox: messaging.inbox, audit });
  const liveness = createProcessLiveness({
    id: processId,
    repo: createProcessesRepository(db),
    role: config.workersEnabled ? 'workers' : 'api',
    log: log.child({ module: 'liveness' }),
    recovery: [messaging.sendRecovery],
  });
  const webhookProcessor = createWebhookProcessor({
    units,
    repo: webhookEvents,
    // on both engines: the embedded database's one connection spends its time per statement, so small rounds (it
    // took 5 before) could not keep up with 200 events/s (bench:crm: p99 4–5 s against 0.1–0.2 s with 50)
    batchSize: 50,
    ingest,
    log: log.child({ module: 'webhook-processor' }),
    concurrency: config.webhooks.concurrency,
    maxAttempts: config.webhooks.maxAttempts,
    gatherMs: config.webhooks.gatherMs,
    // POSTs applied as they are stored: Meta's answer waits at most a fifth of the time it may take in all
    applyWithinMs: Math.max(250, Math.floor(config.webhooks.ackTimeoutMs / 5)),
  });

  const teammatesRepo = createTeammatesRepository(db);
  const invitations = createInvitationsService({
    units, repo: teammatesRepo, access, accountsRepo, authRepo, auth, throttle, audit, now,
    publicBaseUrl: config.publicBaseUrl, signupMode: config.signupMode,
  });
  const passwordResets = createPasswordResets({ units, repo: teammatesRepo, authRepo, throttle, audit, now, publicBaseUrl: config.publicBaseUrl });

  const accountServices = buildAccountServices({ config, units, vault, log, now, graph, graphs: accountGraphs, audit, access, accountsRepo, accountStatus });
  const oauthServices = buildOAuthServices({
    config, db, units, vault, log, now, graph, facebook, graphs: accountGraphs, auth, audit, accountsRepo, accountStatus, invitations,
    onAccountLinked: async (igUserId) => {
      if ((await webhookEvents.requeue({ statuses: ['unrouted'], accountIgId: igUserId })) > 0) webhookProcessor.wake();
    },
  });

  const messageLookup = createMessageLookup({
    db,
    fetchMessage: createFetchMessage({ graphs: accountGraphs }),
    accounts: accountServices.accountsRepo,
    accountStatus,
    hooks: ingestHooks,
    units,
    log: log.child({ module: 'message-lookup' }),
  });

  return {
    ...accountServices,
    messageLookup,
    waitingEvents: createWaitingEventsRepository(db),
    ...oauthServices,
    ...messaging,
    realtimeLog,
    invitations,
    passwordResets,
    teammatesRepo,
    workflow,
    notes,
    labels,
    cannedReplies,
    contactPanel,
    preferences: createPreferencesRepository(db),
    liveness,
    metrics,
    operations,
    audit,
    authRepo,
    tokens,
    throttle,
    rateCounters,
    auth,
    access,
    apiKeys,
    graph,
    facebook,
    accountGraphs,
    units,
    crm,
    accountTokens,
    accountStatus,
    media,
    checkUpload,
    mediaHttp,
    webhookEvents,
    ingest,
    webhookProcessor,
  };
}
export type Services = ReturnType<typeof buildServices>;
