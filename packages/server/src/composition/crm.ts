import type { Db } from '../db/client.ts';
import type { InboxUnitsOfWork } from '../events/inbox-events.ts';
import type { TokenVault } from '../shared/crypto/token-vault.ts';
import type { Logger } from '../shared/logger.ts';
import { createSafeHttpClient, type SafeHttpClient } from '../shared/net/safe-http.ts';
import type { AuditLog } from '../modules/audit/audit.repository.ts';
import { attemptDelivery, recordOutcomes } from '../modules/delivery/dispatch/crm-delivery.ts';
import { createCrmDispatcher, type CrmDispatcher } from '../modules/delivery/dispatch/crm-dispatcher.ts';
import { createCrmMetrics, type CrmMetrics } from '../modules/delivery/dispatch/crm-metrics.ts';
import { createCrmOutbox, type CrmOutbox } from '../modules/delivery/outbox/crm-outbox.ts';
import { announceCrmWork } from '../modules/delivery/outbox/crm-outbox.repository.ts';
import type { CrmSettings } from '../config/crm-settings.ts';
import { createCrmRepository, type ClaimedWork, type CrmRepository } from '../modules/delivery/dispatch/crm.repository.ts';
import { createCrmService, type CrmService } from '../modules/delivery/endpoints/crm.service.ts';

export type Crm = {
  outbox: CrmOutbox;
  service: CrmService;
  dispatcher: CrmDispatcher<ClaimedWork>;
  metrics: CrmMetrics;
  repo: CrmRepository;
  client: SafeHttpClient;
  close(): Promise<void>;
};

/** Claims outlive the attempt deadline by this much, so only a crashed worker's claim ever runs out. */
const LEASE_MARGIN_MS = 60_000;
/**
 * A claimed delivery written longer ago than this had been waiting (a backlog, a retry): the dispatcher paces those
 * (CRM_BACKLOG_PER_SECOND). One claimed sooner is new (`serve --no-workers` has its workers claim every new one).
 */
const WAITED_AFTER_MS = 1_000;

/**
 * Every attempt signs with its endpoint's secret: each stored (encrypted) value is decrypted once, not once per
 * attempt. A rotated secret is a new stored value; the cache holds at most `max` of them.
 */
function withDecryptCache(vault: TokenVault, max = 1000): TokenVault {
  const cache = new Map<string, string>();
  return {
    ...vault,
    decrypt(stored: string): string {
      let plain = cache.get(stored);
      if (plain === undefined) {
        plain = vault.decrypt(stored);
        if (cache.size >= max) cache.delete(cache.keys().next().value ?? '');
        cache.set(stored, plain);
      }
      return plain;
    },
  };
}

/** Everything CRM delivery needs, assembled once (app.ts): outbox, service, dispatcher, metrics. */
/** Whose claims these are: this process's registry id, and how long a silent process still counts as alive. */
export type ClaimOwner = { id: string; deadAfterMs: number };

export function createCrm(deps: {
  db: Db;
  /**
   * Opens the transactions of delivery outcomes and endpoint changes (they record no inbox events). It is the one
   * unit of work, whose writers include this CRM's outbox: used only once a delivery or a request runs, never while
   * the CRM is assembled.
   */
  units: Pick<InboxUnitsOfWork, 'run'>;
  vault: TokenVault;
  audit: AuditLog;
  settings: CrmSettings;
  log: Logger;
  now: () => Date;
  owner: ClaimOwner;
  metrics?: CrmMetrics;
}): Crm {
  const { db, settings, now } = deps;
  const metrics = deps.metrics ?? createCrmMetrics();
  const repo = createCrmRepository(db);
  const client = createSafeHttpClient({
    allowedNetworks: settings.allowedNetworks,
    allowHttp: settings.allowHttp,
    connectTimeoutMs: Math.min(settings.timeoutMs, 10_000),
    ...(settings.lookup ? { lookup: settings.lookup } : {}),
  });
  const deliveryDeps = { units: deps.units, repo, vault: withDecryptCache(deps.vault), client, settings, metrics, log: deps.log, now };
  const leaseMs = settings.timeoutMs + LEASE_MARGIN_MS;
  const dispatcher = createCrmDispatcher({
    claim: (limit, perEndpoint, own) => {
      const at = now();
      return repo.claimDue({
        now: at,
        leaseUntil: new Date(at.getTime() + leaseMs),
        limit,
        perEndpoint,
        own,
        processId: deps.owner.id,
        deadAfterMs: deps.owner.deadAfterMs,
      });
    },
    attempt: (prepared) => attemptDelivery(deliveryDeps, prepared),
    record: async (outcomes) => {
      const { released, nextRetryAt, nextProbeAt } = await recordOutcomes(deliveryDeps, outcomes);
      // an endpoint came back: its backlog is due now, for this process and the other workers alike
      if (released > 0) {
        dispatcher.poke();
        void announce('a released backlog');
      }
      // the retries written here, and a failing endpoint's next probe, are looked for when they come due, not by a poll
      if (nextRetryAt !== null) dispatcher.wakeAt(nextRetryAt);
      if (nextProbeAt !== null) dispatcher.wakeAt(nextProbeAt);
    },
    endpointOf: (work) => work.account.id,
    idOf: (work) => work.claimed.id,
    releaseOrphans: (keep) => repo.releaseClaimsOfProcessExcept(deps.owner.id, keep),
    waited: (work) => now().getTime() - work.delivery.createdAt.getTime() > WAITED_AFTER_MS,
    backlogPerSecond: settings.backlogPerSecond,
    concurrency: settings.workerConcurrency,
    perEndpoint: settings.maxConcurrencyPerEndpoint,
    pollIntervalMs: settings.pollIntervalMs,
    log: deps.log,
  });
  /** Tells every worker process's dispatcher that deliveries are due (NOTIFY); never throws. */
  async function announce(what: string): Promise<void> {
    try {
      await announceCrmWork(db);
    } catch (error) {
      deps.log.warn({ err: error, what }, 'could not announce due CRM deliveries; the dispatchers find them at their next poll');
    }
  }
  /** Requeued deliveries: this process's dispatcher looks now; without one running here, the others are told. */
  async function workDue(): Promise<void> {
    if (dispatcher.claiming()) dispatcher.poke();
    else await announce('requeued deliveries');
  }
  return {
    outbox: createCrmOutbox({ now, metrics, handoff: { dispatcher, leaseMs, processId: deps.owner.id } }),
    service: createCrmService({ ...deliveryDeps, audit: deps.audit, workDue }),
    dispatcher,
    metrics,
    repo,
    client,
    close: () => client.close(),
  };
}
