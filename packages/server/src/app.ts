import type { Server } from 'node:http';
import type { Config } from './config.ts';
import { openDatabase, whileUnreachable, type Database } from './db/client.ts';
import { runMigrations } from './db/migrate.ts';
import { createHttpServer, type App } from './http/server.ts';
import { createQueue, type Queue } from './jobs/queue.ts';
import { jobs } from './jobs/registry.ts';
import { createLogger, type Logger } from './shared/logger.ts';
import { createTokenVault, type TokenVault } from './shared/crypto/token-vault.ts';
import { resolveSessionSecret } from './shared/session-secret.ts';
import { undecryptableSecretKinds } from './modules/accounts/secret-maintenance.ts';
import { VERSION } from './shared/version.ts';
import { apiDocsRoutes } from './modules/web/api-docs.routes.ts';
import { buildServices, type Services } from './app-services.ts';
import { defineJobs } from './composition/jobs.ts';
import { apiKeysRoutes } from './modules/api-keys/api-keys.routes.ts';
import { accountsRoutes } from './modules/accounts/accounts.routes.ts';
import { facebookLoginRoutes } from './modules/oauth/facebook-login.routes.ts';
import { oauthRoutes } from './modules/oauth/oauth.routes.ts';
import { authPlugin, requireAdmin } from './modules/auth/auth.plugin.ts';
import { authRoutes } from './modules/auth/auth.routes.ts';
import { teammatesRoutes } from './modules/teammates/teammates.routes.ts';
import type { Crm } from './composition/crm.ts';
import { crmRoutes, defineCrmJobs } from './modules/delivery/index.ts';
import type { InboxEventSink } from './events/inbox-events.ts';
import { healthRoutes } from './modules/health/health.routes.ts';
import { metricsRoutes, startMetricsServer } from './modules/operations/metrics.routes.ts';
import { httpMetricsPlugin } from './modules/operations/operations-metrics.ts';
import { cannedRepliesRoutes } from './modules/inbox/canned-replies/canned-replies.routes.ts';
import { contactsRoutes } from './modules/inbox/contacts/contacts.routes.ts';
import { preferencesRoutes } from './modules/inbox/preferences/preferences.routes.ts';
import { labelsRoutes } from './modules/inbox/labels/labels.routes.ts';
import { mediaRoutes } from './modules/sending/media/media.routes.ts';
import { uploadsRoutes } from './modules/sending/media/uploads.routes.ts';
import { inboxRoutes } from './modules/inbox/inbox.routes.ts';
import { messagesRoutes } from './modules/sending/messages.routes.ts';
import { createRealtimeHub } from './modules/realtime/realtime-hub.ts';
import { realtimeRoutes } from './modules/realtime/realtime.routes.ts';
import { announcedIds, WEBHOOK_CHANNEL } from './modules/intake/webhook-events.repository.ts';
import { CRM_CHANNEL } from './modules/delivery/outbox/crm-outbox.repository.ts';
import { webhookAdminRoutes } from './modules/ingest/webhook-admin.routes.ts';
import { instagramWebhookRoutes } from './modules/intake/webhooks.routes.ts';
import { createIntakeMetrics } from './modules/intake/intake-metrics.ts';
import { webRoutes } from './modules/web/web.routes.ts';
import { workflowRoutes } from './modules/inbox/workflow/workflow.routes.ts';

export type AppOverrides = {
  logger?: Logger;
  /** An already open (and migrated) database, as tests pass one. */
  database?: Database;
  now?: () => Date;
  /** Extra routes assembled into the app (tests use this for probes). */
  plugins?: ((app: App) => Promise<void>)[];
  /** Extra writers of every unit of work's inbox events (tests use this to hear them). */
  extraSinks?: readonly InboxEventSink[];
  /**
   * Whether a job sent wakes this process's workers (LISTEN/NOTIFY; default: yes, where workers run). Tests that run
   * jobs by hand (`queue.runPending`) beside running workers turn it off, so no woken worker takes the job first.
   */
  wakeWorkers?: boolean;
  /**
   * Whether the scheduled jobs (jobs/registry.ts `schedule`) are run on their clock (default: yes). Tests that run
   * jobs by hand turn it off, so a reconciliation or a sweep due on the minute does not change what they look at.
   */
  schedules?: boolean;
};

export type Threadline = {
  app: App;
  config: Config;
  database: Database;
  queue: Queue;
  vault: TokenVault;
  log: Logger;
  services: Services;
  /** CRM delivery: outbox (also an inbox sink), service, dispatcher, metrics. */
  crm: Crm;
  /** Starts job workers, schedules and the webhook processor (the `serve` and `worker` commands). */
  startWorkers(): Promise<void>;
  /** Serves /metrics on METRICS_PORT when it is set (the `serve` and `worker` commands); a no-op otherwise. */
  listenMetrics(): Promise<void>;
  close(): Promise<void>;
};

/** The composition root: config → database → services → jobs → routes, in dependency order. */
export async function buildApp(config: Config, overrides: AppOverrides = {}): Promise<Threadline> {
  const log = overrides.logger ?? createLogger(config.logLevel, config.logPretty);
  const now = overrides.now ?? (() => new Date());
  for (const warning of config.warnings) log.warn(warning);
  const sessionSecret = resolveSessionSecret(config, log);
  const database =
    overrides.database ??
    (await openDatabase(
      config.database.kind === 'pglite'
        ? { kind: 'pglite', dataDir: config.database.dataDir }
        : { kind: 'postgres', url: config.database.url, poolMax: config.database.poolMax },
      { log: log.child({ module: 'db' }) },
    ));
  try {
    // a process started while PostgreSQL is down (or restarting) waits for it instead of exiting
    if (!overrides.database) await whileUnreachable('migrations', () => runMigrations(database), log);
  } catch (error) {
    await database.close();
    throw error;
  }
  const vault = createTokenVault({ sessionSecret, encryptionKeys: config.encryptionKeys });
  // a database the caller passed in (tests) stays open: it is theirs to close
  const closeOwnDatabase = async () => {
    if (!overrides.database) await database.close();
  };
  const stuck = await whileUnreachable('stored secrets check', () => undecryptableSecretKinds(database.db, vault), log).catch(async (error: unknown) => {
    await closeOwnDatabase();
    throw error;
  });
  if (stuck.length > 0) {
    await closeOwnDatabase();
    throw new Error(
      `None of the stored ${stuck.join(', ')} can be decrypted with the configured keys: SESSION_SECRET or ENCRYPTION_KEYS ` +
        'changed under this database. Put back the secret or key they were encrypted with (keep old keys after the new one ' +
        'in ENCRYPTION_KEYS until `threadline rotate-keys` has moved everything), then start again.',
    );
  }
  const queue = createQueue(database, log.child({ module: 'jobs' }), { listen: config.workersEnabled && (overrides.wakeWorkers ?? true) });
  const services = buildServices({ config, database, queue, vault, log, sessionSecret, now, extraSinks: overrides.extraSinks });
  defineJobs(queue, services, database.db, config, now, log);
  await whileUnreachable('legacy account', () => services.legacyAccount.ensure(), log);
  await whileUnreachable('process registry', () => services.liveness.start(), log);
  const { crm } = services;
  const crmJobs = defineCrmJobs(queue, { crm, now });

  const app = createHttpServer({
    logger: log,
    bodyLimitBytes: config.bodyLimitBytes,
    timeouts: config.http,
    trustProxy: config.trustProxy,
    hsts: config.secureCookies,
  });
  const cookie = {
    name: config.secureCookies ? '__Host-threadline_session' : 'threadline_session',
    secure: config.secureCookies,
  };
  const publicOrigin = config.publicBaseUrl.origin;
  await app.register(authPlugin, {
    auth: services.auth,
    authenticateApiKey: services.apiKeys.authenticate,
    cookieName: cookie.name,
    publicOrigin,
  });
  await app.register(httpMetricsPlugin, { metrics: services.metrics });
  await app.register(healthRoutes, { database, version: VERSION });
  await app.register(metricsRoutes, { metrics: services.metrics, access: config.metrics, servedOnPort: config.metrics.port });
  await app.register(authRoutes, { auth: services.auth, cookie, publicOrigin, signupMode: config.signupMode });
  await app.register(apiKeysRoutes, { apiKeys: services.apiKeys, access: services.access });
  await app.register(instagramWebhookRoutes, {
    appSecrets: config.instagram.appSecrets,
    verifyToken: config.instagram.verifyToken,
    bodyLimitBytes: config.webhooks.bodyLimitBytes,
    ackTimeoutMs: config.webhooks.ackTimeoutMs,
    storeAndApply: (items: { body: Buffer; secretIndex: number }[]) => services.webhookProcessor.storeAndApply(items),
    gatherMs: config.webhooks.gatherMs,
    metrics: createIntakeMetrics(services.metrics),
  });
  await app.register(webhookAdminRoutes, {
    repo: services.webhookEvents,
    waiting: services.waitingEvents,
    requireAdmin,
    onRequeued: () => services.webhookProcessor.wake(),
  });
  await app.register(mediaRoutes, { media: services.media, access: services.access });
  const hub = createRealtimeHub({
    database,
    log: services.realtimeLog,
    inbox: services.inbox,
    logger: log.child({ module: 'realtime' }),
    caps: config.realtimeStreamCaps,
  });
  await app.register(realtimeRoutes, {
    hub,
    inbox: services.inbox,
    streamAccess: (tokenHash, accountId) => services.authRepo.streamAccess(tokenHash, accountId),
    heartbeatMs: config.realtimeHeartbeatSeconds * 1000,
    now,
  });
  await app.register(inboxRoutes, { inbox: services.inbox });
  await app.register(workflowRoutes, { workflow: services.workflow, notes: services.notes });
  await app.register(labelsRoutes, { labels: services.labels });
  await app.register(cannedRepliesRoutes, { cannedReplies: services.cannedReplies });
  await app.register(contactsRoutes, { contacts: services.contactPanel });
  await app.register(preferencesRoutes, { preferences: services.preferences });
  await app.register(uploadsRoutes, { media: services.media, inbox: services.inbox, links: services.uploadLinks, checkUpload: services.checkUpload });
  await app.register(messagesRoutes, {
    inbox: services.inbox,
    repo: services.inboxRepo,
    messages: services.messages,
    actions: services.actions,
    idempotency: services.idempotency,
  });
  await app.register(crmRoutes, { crm: crm.service, access: services.access });
  await app.register(accountsRoutes, { accounts: services.accounts, access: services.access, auth: services.auth, authRepo: services.authRepo, cookie });
  await app.register(teammatesRoutes, { invitations: services.invitations, passwordResets: services.passwordResets, cookie, publicOrigin });
  await app.register(oauthRoutes, { oauth: services.oauth, metaCallbacks: services.metaCallbacks, auth: services.auth, cookie });
  await app.register(facebookLoginRoutes, {
    facebookLogin: services.facebookLogin,
    metaCallbacks: services.facebookCallbacks,
    auth: services.auth,
    cookie,
    publicOrigin,
  });
  await app.register(apiDocsRoutes, { version: VERSION, serverUrl: publicOrigin });
  for (const plugin of overrides.plugins ?? []) await app.register(plugin);
  // Last: the web app's catch-all for client routes must not shadow anything above.
  await app.register(webRoutes);
  await app.ready();

  let closed = false;
  let workersStarted = false;
  let unlistenWebhooks: (() => Promise<void>) | null = null;
  let unlistenCrm: (() => Promise<void>) | null = null;
  let metricsServer: Server | null = null;
  return {
    app,
    config,
    database,
    queue,
    vault,
    log,
    services,
    crm,
    async startWorkers() {
      await whileUnreachable('job queue', () => queue.start({ work: config.workersEnabled, schedules: overrides.schedules ?? true }), log);
      await whileUnreachable('live updates', () => hub.start(), log);
      // The old single account's token may belong to either Meta host: find out right away, in the background.
      const legacy = await whileUnreachable('legacy account', () => services.legacyAccount.pendingDetection(), log);
      if (legacy) await queue.enqueue(jobs.accountsDetectLegacyPath, { accountId: legacy.accountId });
      if (config.workersEnabled) {
        services.liveness.startRecovery();
        services.webhookProcessor.start();
        // events stored by `serve --no-workers` processes are announced; start on them without waiting for a poll
        unlistenWebhooks = await database.listen(
          WEBHOOK_CHANNEL,
          (payload) => services.webhookProcessor.offerIds(announcedIds(payload)),
          () => services.webhookProcessor.wake(),
        );
        crmJobs.start();
        // and CRM deliveries they write or requeue, the same way (the dispatcher's poll is only a safety net)
        unlistenCrm = await database.listen(CRM_CHANNEL, () => crm.dispatcher.poke(), () => crm.dispatcher.poke());
      } else {
        // `serve --no-workers`: the new deliveries it writes go from here to the CRM, as in `serve`; the workers claim
        // the rest (announced), so the split topology is no slower than one process (issue 24)
        crm.dispatcher.startHandingOver();
      }
      workersStarted = true;
    },
    async listenMetrics() {
      if (config.metrics.port === null || metricsServer) return;
      metricsServer = await startMetricsServer({ metrics: services.metrics, port: config.metrics.port, host: config.metrics.host, token: config.metrics.token });
    },
    async close() {
      if (closed) return;
      closed = true;
      await unlistenWebhooks?.();
      await unlistenCrm?.();
      await hub.stop();
      const metricsClosed = metricsServer ? new Promise<void>((resolve) => metricsServer?.close(() => resolve())) : null;
      metricsServer?.closeAllConnections();
      await metricsClosed;
      await app.close();
      if (workersStarted) {
        await services.webhookProcessor.stop();
        await crmJobs.stop();
        await queue.stop();
      }
      await services.liveness.stop();
      await services.mediaHttp.close();
      await crm.close();
      if (!overrides.database) await database.close();
    },
  };
}
