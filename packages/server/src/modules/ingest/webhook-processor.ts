import type { InboxUnitOfWork, InboxUnitsOfWork } from '../../events/inbox-events.ts';
import { isConnectionError, safeErrorMessage } from '../../shared/db-errors.ts';
import { createLogGate, type Logger } from '../../shared/logger.ts';
import type { IngestService } from './ingest.service.ts';
import { createOffers } from './webhook-offers.ts';
import { createStoreAndApply } from './webhook-store-and-apply.ts';
import type { ClaimedEvent, WebhookEventOutcome, WebhookEventsRepository } from '../intake/webhook-events.repository.ts';

export type ProcessorOptions = {
  units: InboxUnitsOfWork;
  repo: WebhookEventsRepository;
  ingest: IngestService;
  log: Logger;
  concurrency: number;
  maxAttempts: number;
  batchSize?: number;
  idlePollMs?: number;
  /**
   * How long new events wait for others to join their round (0: the next turn of the event loop). At a quiet moment
   * a sleeping loop starts after it; events stored while a round is under way are taken by the loop that ends it,
   * after it. A round costs about ten statements however many events it holds, so rounds of one event each would
   * double the database's work per event at 200 events/s (bench:crm).
   */
  gatherMs?: number;
  /**
   * `storeAndApply`: how long Meta's answer may wait for a batch to be applied; a batch slower than that (a lock, a
   * slow query) is stored unapplied instead, for the rounds, so processing never makes Meta retry (1 s).
   */
  applyWithinMs?: number;
};

/**
 * How often a loop other than the first looks for due work unwoken. The first polls every `idlePollMs`; the others
 * are woken when a round finds a full batch (a backlog) or work is offered, and a poll each from every loop was most
 * of the scans once POSTs were applied as they are stored (bench:crm: 8 a second at 500 events/s, for nothing).
 */
const HELPER_POLL_MS = 30_000;

/** Back-off between attempts of one raw event: 2 s, 10 s, 1 min, 5 min, 30 min, 2 h, … */
export function retryDelayMs(attempt: number): number {
  const steps = [2_000, 10_000, 60_000, 300_000, 1_800_000, 7_200_000];
  return steps[Math.min(attempt - 1, steps.length - 1)] ?? 7_200_000;
}

/**
 * Workers that drain `received` raw events. One round is one transaction: claim a batch (FOR UPDATE SKIP LOCKED,
 * so workers in several processes never take the same row, and a crashed worker's claim simply ends with its
 * transaction), apply every event, record every outcome, commit once. If a batch throws, its events are taken one
 * by one, so a poison event is retried with back-off and finally marked `failed` without holding up the others.
 *
 * Events this process stored are offered to it with their bodies (`offer`), those another process stored by their
 * ids (`offerIds`, from its announcement): a round claims those by id (a primary-key lookup) instead of scanning the
 * queue, whose index holds an entry for every event processed since
 * the last vacuum. The scan still runs when nothing is offered, and at least every `idlePollMs` (retries coming due,
 * events of other processes), so an offered event never keeps older work waiting.
 */
export function createWebhookProcessor(opts: ProcessorOptions) {
  const batchSize = opts.batchSize ?? 25;
  const idlePollMs = opts.idlePollMs ?? 1_000;
  const gatherMs = opts.gatherMs ?? 10;
  /** Cancels the scheduled start of a sleeping loop, while one is scheduled. */
  let cancelWake: (() => void) | null = null;
  /** Rounds under way, in every loop of this processor. */
  let inRound = 0;
  /** Events were stored since the newest round began: a loop that ends its round takes them instead of sleeping. */
  let pending = false;
  let running = false;
  const loops: Promise<void>[] = [];
  const sleepers = new Set<() => void>();
  /** Events offered and not yet claimed (webhook-offers.ts). */
  const offered = createOffers();
  /** When a round last scanned the queue (see above). */
  let lastScanAt = 0;

  /** Claims the offered events (those still due and unclaimed), else scans the queue. */
  async function claim(tx: Parameters<WebhookEventsRepository['claimInTx']>[0], limit: number): Promise<ClaimedEvent[]> {
    if (offered.size > 0 && Date.now() - lastScanAt < idlePollMs) {
      const taken = offered.take(limit);
      const withBody = [...taken.values()].some((body) => body === null);
      const claimed = await opts.repo.claimIdsInTx(tx, [...taken.keys()], withBody);
      if (claimed.length > 0) {
        return claimed.flatMap((c) => {
          const body = taken.get(c.id) ?? c.body;
          return body ? [{ id: c.id, body, attempts: c.attempts }] : [];
        });
      }
    }
    lastScanAt = Date.now();
    const claimed = await opts.repo.claimInTx(tx, limit);
    for (const event of claimed) offered.forget(event.id);
    return claimed;
  }

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      sleepers.add(done);
    });

  /** Applies claimed (or about to be stored) events in `uow`; answers what came of each. */
  async function apply(uow: InboxUnitOfWork, claimed: ClaimedEvent[]): Promise<WebhookEventOutcome[]> {
    const outcomes = await opts.ingest.processBatch(uow, claimed);
    return claimed.flatMap((event) => {
      const outcome = outcomes.get(event.id);
      if (!outcome) return [];
      return [
        {
          id: event.id,
          status: outcome.status,
          accountIgIds: outcome.accountIgIds,
          eventCount: outcome.eventCount,
          error: outcome.note ?? null,
          items: outcome.items ?? null,
        },
      ];
    });
  }

  /** One transaction over a batch; answers how many events it took, or throws (nothing of the batch is kept). */
  async function round(limit: number, onlyId?: number): Promise<number> {
    // a unit of work: CRM deliveries written in it go to this process's dispatcher once it commits
    return opts.units.run(async (uow) => {
      const { tx } = uow;
      const claimed = onlyId === undefined ? await claim(tx, limit) : await opts.repo.claimInTx(tx, limit, onlyId);
      if (claimed.length === 0) return 0;
      await opts.repo.finishMany(tx, await apply(uow, claimed));
      return claimed.length;
    });
  }

  /** A batch failed: take its events alone; the one that still throws is retried later, then failed. */
  async function isolate(limit: number) {
    for (const id of await opts.repo.dueIds(limit)) {
      try {
        await round(1, id);
      } catch (error) {
        // the database went away meanwhile: the event is not at fault; the loop waits for the database
        if (isConnectionError(error)) throw error;
        const message = safeErrorMessage(error);
        opts.log.warn({ eventId: id, err: error }, 'webhook event processing failed');
        await opts.units.run(async ({ tx }) => {
          const [event] = await opts.repo.claimInTx(tx, 1, id);
          if (!event) return;
          if (event.attempts >= opts.maxAttempts) {
            await opts.repo.finish(id, { status: 'failed', accountIgIds: [], eventCount: 0, error: message.slice(0, 2000) }, tx);
          } else {
            await opts.repo.retryLater(id, message, retryDelayMs(event.attempts), tx);
          }
        });
      }
    }
  }

  async function step(): Promise<number> {
    try {
      return await round(batchSize);
    } catch (error) {
      // A lost connection rolled the batch back (its claims with it): nothing is wrong with its events, and taking
      // them one by one would only count attempts against them. The loop waits for the database instead.
      if (isConnectionError(error)) throw error;
      opts.log.warn({ err: error }, 'a webhook batch failed: processing its events one by one');
      await isolate(batchSize);
      return 1;
    }
  }

  /** Starts one sleeping loop now (there is none when every loop is in a round: they look at `pending`). */
  const wakeOne = () => {
    const [first] = sleepers;
    first?.();
  };

  const gate = createLogGate(5_000);
  /** While the database cannot be reached, a loop waits this long between tries, doubling up to MAX_BACKOFF_MS. */
  const MAX_BACKOFF_MS = 1_000;

  /** `polls`: this loop scans for due work every `idlePollMs`; the others wait to be woken (a backlog, new work). */
  async function loop(polls: boolean) {
    let backoff = 0;
    while (running) {
      let took: number | null = null;
      inRound += 1;
      pending = false;
      try {
        took = await step();
        backoff = 0;
      } catch (error) {
        backoff = Math.min(Math.max(backoff * 2, 100), MAX_BACKOFF_MS);
        if (running) {
          gate(isConnectionError(error) ? 'unreachable' : 'error', () =>
            opts.log.warn({ err: error }, isConnectionError(error) ? 'webhook processing waits for the database' : 'could not process webhook events'),
          );
        }
      } finally {
        inRound -= 1;
      }
      if (took === null) {
        await sleep(backoff);
        continue;
      }
      if (took >= batchSize) {
        wakeOne(); // a backlog: another loop helps while this one goes on
        continue;
      }
      // events stored during the round: gather for a moment (a round costs about ten statements however many it
      // holds), then take them; a wake meanwhile does not cut the gathering short unless this loop is asleep anyway
      await sleep(pending ? gatherMs : polls ? idlePollMs : HELPER_POLL_MS);
    }
  }

  const storeAndApply = createStoreAndApply({
    units: opts.units,
    repo: opts.repo,
    log: opts.log,
    applyWithinMs: opts.applyWithinMs ?? 1_000,
    running: () => running,
    apply,
    offer: (events) => {
      for (const event of events) offered.add(event);
      processor.wake();
    },
  });

  const processor = {
    start() {
      if (running) return;
      running = true;
      for (let i = 0; i < opts.concurrency; i += 1) loops.push(loop(i === 0));
    },
    /** Processes every due event now, in the calling task (the CLI's `webhooks reprocess --wait`, tests). */
    async runUntilIdle(): Promise<number> {
      let total = 0;
      for (;;) {
        const took = await step();
        if (took === 0) return total;
        total += took;
      }
    },
    /**
     * This process stored (and committed) `event`: the next round claims it by id, with the body it already has (when
     * too much is held already, it is left for the scan).
     */
    offer(event: { id: number; body: Buffer }) {
      if (!running) return;
      offered.add(event);
      this.wake();
    },
    /** Stores POSTs this process received and applies them in the same transaction (webhook-store-and-apply.ts). */
    storeAndApply,
    /**
     * Another process stored (and announced) these events: the next round claims them by id, reading their bodies;
     * none named (an announcement without ids), it scans.
     */
    offerIds(ids: readonly number[]) {
      if (!running) return;
      for (const id of ids) offered.addId(id);
      this.wake();
    },
    /**
     * New work was stored (and committed). With a round under way, the loop that ends it takes it after `gatherMs`;
     * at a quiet moment one sleeping loop starts after `gatherMs` (or on the next turn of the event loop when it is
     * 0), so POSTs acknowledged together make one round. Wakes meanwhile join it; the other loops keep polling.
     */
    wake() {
      if (!running) return;
      pending = true;
      if (cancelWake || inRound > 0) return;
      const fire = () => {
        cancelWake = null;
        if (pending && inRound === 0) wakeOne();
      };
      if (gatherMs > 0) {
        const timer = setTimeout(fire, gatherMs);
        cancelWake = () => clearTimeout(timer);
      } else {
        const immediate = setImmediate(fire);
        cancelWake = () => clearImmediate(immediate);
      }
    },
    /** Lets the current rounds finish, then stops. */
    async stop() {
      running = false;
      offered.clear();
      cancelWake?.();
      cancelWake = null;
      for (const wake of [...sleepers]) wake();
      await Promise.allSettled(loops.splice(0));
    },
  };
  return processor;
}
export type WebhookProcessor = ReturnType<typeof createWebhookProcessor>;
