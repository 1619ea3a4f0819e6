import { createGroupCommit } from '../../shared/group-commit.ts';
import type { Logger } from '../../shared/logger.ts';

export type DispatcherDeps<Job, Outcome> = {
  /** Claims (leases) up to `limit` due deliveries with what sending them needs. */
  claim(limit: number): Promise<Job[]>;
  /** Makes the attempt (network only). */
  attempt(job: Job): Promise<Outcome>;
  /** Writes the outcomes of a batch of attempts in one transaction, releasing their claims. */
  record(outcomes: Outcome[]): Promise<void>;
  /** attempts in flight in this process */
  concurrency: number;
  pollIntervalMs: number;
  log: Logger;
};

export type CrmDispatcher = {
  start(): void;
  /** Stops claiming and waits for the attempts under way. */
  stop(): Promise<void>;
  /** Claims and runs what is due now, once (tests and tools). Resolves when those attempts are recorded. */
  runOnce(): Promise<number>;
  /** Looks for due deliveries now instead of at the next poll (something was just recorded). */
  poke(): void;
};

/**
 * The delivery workers of one process. Deliveries are rows, not queue jobs: the dispatcher claims due rows
 * (a claim is a lease in the row, so two processes never send the same attempt; the claim query keeps every
 * endpoint under its concurrency cap across processes), runs up to `concurrency` attempts at once, and writes
 * their outcomes by group commit: the outcomes that finish while one write is under way go together in the next,
 * so the database work per delivery shrinks as the load grows. An idle dispatcher looks again every
 * `pollIntervalMs`, or at once when poked.
 */
export function createCrmDispatcher<Job, Outcome>(deps: DispatcherDeps<Job, Outcome>): CrmDispatcher {
  const inFlight = new Set<Promise<void>>();
  let running = false;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;
  /** something happened since the loop last claimed (a slot freed, a poke): look again before sleeping */
  let kicked = false;
  let pokeTimer: NodeJS.Timeout | null = null;
  /** Pokes arriving together (a burst of changes) make one early look, not one each. */
  const POKE_COALESCE_MS = 5;

  // one bad outcome must not keep the others' claims until their leases run out: a failed batch is written one by one
  const outcomes = createGroupCommit({
    write: async (batch: Outcome[]) => {
      await deps.record(batch);
      return batch.map(() => undefined);
    },
    maxBatch: 500,
    retrySingly: true,
    onBatchError: (error, count) => deps.log.error({ err: error, count }, 'writing a batch of CRM outcomes failed; writing them one by one'),
  });

  async function submit(outcome: Outcome): Promise<void> {
    try {
      await outcomes.submit(outcome);
    } catch (error) {
      deps.log.error({ err: error }, 'writing a CRM outcome failed; its claim runs out and the attempt is made again');
    }
  }

  function launch(job: Job): Promise<void> {
    const task: Promise<void> = deps
      .attempt(job)
      .then(submit)
      .catch((error: unknown) => deps.log.error({ err: error }, 'CRM delivery failed unexpectedly'))
      .finally(() => {
        inFlight.delete(task);
        // a slot freed while the loop was claiming must not wait for the next poll
        kicked = true;
        wake?.();
      });
    inFlight.add(task);
    return task;
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
      kicked = false;
      const room = deps.concurrency - inFlight.size;
      let claimed: Job[] = [];
      if (room > 0) {
        try {
          claimed = await deps.claim(room);
        } catch (error) {
          deps.log.error({ err: error }, 'claiming CRM deliveries failed');
        }
        for (const c of claimed) launch(c);
      }
      // a full batch means more may be due; a slot freed or a poke while claiming means look again at once;
      // otherwise wait for a free slot, a poke or the next poll
      if (claimed.length > 0 && claimed.length === room) continue;
      if (kicked && inFlight.size < deps.concurrency) continue;
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
      if (pokeTimer) clearTimeout(pokeTimer);
      pokeTimer = null;
      wake?.();
      await loop;
      loop = null;
      await Promise.allSettled([...inFlight]);
      await outcomes.idle();
    },
    async runOnce() {
      const claimed = await deps.claim(deps.concurrency);
      await Promise.all(claimed.map(launch));
      return claimed.length;
    },
    poke() {
      if (!running || pokeTimer) return;
      pokeTimer = setTimeout(() => {
        pokeTimer = null;
        kicked = true;
        wake?.();
      }, POKE_COALESCE_MS);
    },
  };
}
