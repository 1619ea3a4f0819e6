import type { Logger } from '../../shared/logger.ts';
import type { ClaimedDelivery, CrmRepository } from './crm.repository.ts';

export type DispatcherDeps = {
  repo: Pick<CrmRepository, 'claimDue'>;
  deliver(claimed: ClaimedDelivery): Promise<void>;
  /** attempts in flight in this process */
  concurrency: number;
  perEndpoint: number;
  /** how long a claim lasts: longer than the attempt deadline, so only a crashed worker's claim runs out */
  leaseMs: number;
  pollIntervalMs: number;
  now: () => Date;
  log: Logger;
};

export type CrmDispatcher = {
  start(): void;
  /** Stops claiming and waits for the attempts under way. */
  stop(): Promise<void>;
  /** Claims and runs what is due now, once (tests and tools). Resolves when those attempts are done. */
  runOnce(): Promise<number>;
};

/**
 * The delivery workers of one process. Deliveries are rows, not queue jobs: the dispatcher claims due rows
 * (a claim is a lease in the row, so two processes never send the same attempt), runs up to `concurrency`
 * attempts at once, and never more than `perEndpoint` to one CRM across all processes, so a hanging
 * endpoint cannot take every worker. An idle dispatcher looks again every `pollIntervalMs`.
 */
export function createCrmDispatcher(deps: DispatcherDeps): CrmDispatcher {
  const inFlight = new Set<Promise<void>>();
  let running = false;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;

  function launch(claimed: ClaimedDelivery): Promise<void> {
    const task: Promise<void> = deps
      .deliver(claimed)
      .catch((error: unknown) => deps.log.error({ err: error, deliveryId: claimed.id }, 'CRM delivery failed unexpectedly'))
      .finally(() => {
        inFlight.delete(task);
        wake?.();
      });
    inFlight.add(task);
    return task;
  }

  async function claim(limit: number): Promise<ClaimedDelivery[]> {
    const now = deps.now();
    return deps.repo.claimDue({ now, leaseUntil: new Date(now.getTime() + deps.leaseMs), limit, perEndpoint: deps.perEndpoint });
  }

  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = null;
        resolve();
      }
      wake = done;
    });
  }

  async function run(): Promise<void> {
    while (running) {
      const room = deps.concurrency - inFlight.size;
      let claimed: ClaimedDelivery[] = [];
      if (room > 0) {
        try {
          claimed = await claim(room);
        } catch (error) {
          deps.log.error({ err: error }, 'claiming CRM deliveries failed');
        }
        for (const c of claimed) launch(c);
      }
      // a full batch means more may be due; otherwise wait for a free slot or the next look
      if (room > 0 && claimed.length === room) continue;
      if (running) await pause(deps.pollIntervalMs);
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
      loop = null;
      await Promise.allSettled([...inFlight]);
    },
    async runOnce() {
      const claimed = await claim(deps.concurrency);
      await Promise.all(claimed.map(launch));
      return claimed.length;
    },
  };
}
