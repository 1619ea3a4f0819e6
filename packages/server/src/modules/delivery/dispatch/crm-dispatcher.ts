import { isConnectionError } from '../../../shared/db-errors.ts';
import { createGroupCommit } from '../../../shared/group-commit.ts';
import { createLogGate, type Logger } from '../../../shared/logger.ts';

export type DispatcherDeps<Job, Outcome> = {
  /** Claims (leases) up to `limit` due deliveries with what sending them needs. */
  claim(limit: number): Promise<Job[]>;
  /** Makes the attempt (network only). */
  attempt(job: Job): Promise<Outcome>;
  /** Writes the outcomes of a batch of attempts in one transaction, releasing their claims. */
  record(outcomes: Outcome[]): Promise<void>;
  /** the endpoint (account) a job delivers to */
  endpointOf(job: Job): string;
  /** the delivery a job is */
  idOf(job: Job): string;
  /**
   * Releases this process's claims on deliveries other than `keep` (the ones it holds): claims it made but never
   * heard of, because the database committed them and the answer was lost with the connection.
   */
  releaseOrphans(keep: readonly string[]): Promise<number>;
  /** attempts in flight in this process */
  concurrency: number;
  /** attempts in flight to one endpoint from this process (the claim query also counts other processes') */
  perEndpoint: number;
  pollIntervalMs: number;
  log: Logger;
};

/**
 * How deliveries written by this process reach its dispatcher without a claim query: while their transaction is
 * open the writer reserves slots (`reserve`) and writes the rows already claimed by this process; after the commit
 * it hands them over (`launch`), after a rollback it gives the slots back (`release`).
 */
export type DispatcherHandoff<Job> = {
  /** How many of `want` new deliveries to `endpoint` this process takes now: 0 unless it is running, has no due
   * backlog (the oldest due deliveries go first) and has free slots, overall and for the endpoint. */
  reserve(endpoint: string, want: number): number;
  release(endpoint: string, count: number): void;
  /** Starts reserved jobs (their rows are committed and claimed). */
  launch(jobs: readonly Job[]): void;
  /** Looks for due deliveries now instead of at the next poll (something was just recorded). */
  poke(): void;
};

export type CrmDispatcher<Job = unknown> = DispatcherHandoff<Job> & {
  start(): void;
  /** Stops claiming and waits for the attempts under way. */
  stop(): Promise<void>;
  /** Claims and runs what is due now, once (tests and tools). Resolves when those attempts are recorded. */
  runOnce(): Promise<number>;
};

/**
 * The delivery workers of one process. Deliveries are rows, not queue jobs: the dispatcher claims due rows
 * (a claim is a lease in the row, so two processes never send the same attempt; the claim query keeps every
 * endpoint under its concurrency cap across processes), runs up to `concurrency` attempts at once, and writes
 * their outcomes by group commit: the outcomes that finish while one write is under way go together in the next,
 * so the database work per delivery shrinks as the load grows. An idle dispatcher looks again every
 * `pollIntervalMs`, or at once when poked. Deliveries this process writes while it has room skip the claim query
 * (`DispatcherHandoff`).
 */
export function createCrmDispatcher<Job, Outcome>(deps: DispatcherDeps<Job, Outcome>): CrmDispatcher<Job> {
  /** attempts under way or waiting for their outcome to be written */
  const inFlight = new Set<Promise<void>>();
  /** the deliveries this process holds a claim on (under way, held for a free slot, or answered but not written) */
  const holding = new Set<string>();
  /**
   * A claim or a hand-over failed with the connection: the database may have committed claims whose answer never
   * arrived. Before the next claim, those are released (nothing else would touch them until their lease ran out).
   */
  let orphansPossible = false;
  /** attempts whose request is under way */
  let attempting = 0;
  /** attempts in flight or reserved, per endpoint */
  const busy = new Map<string, number>();
  let reserved = 0;
  /**
   * Claimed deliveries to an endpoint already at its cap here: the claim query counts what is committed, not the
   * slots this process reserved for hand-overs still in their transaction. They start as the endpoint's slots free.
   */
  const held = new Map<string, Job[]>();
  let heldCount = 0;
  /** the last claim found fewer due deliveries than it had room for: nothing older waits (but see `lookDue`) */
  let caughtUp = false;
  /**
   * A claim is due or under way (a poke for deliveries written unclaimed, a slot freed at an endpoint at its cap,
   * a backlog): older deliveries may be waiting, so new ones are not handed over past them until it has run.
   */
  let lookDue = true;
  /**
   * attempts answered whose outcomes are not written yet, per endpoint: their rows' leases still count in the claim
   * query, so a claim may find an endpoint at its cap that is not at its cap here
   */
  const unwritten = new Map<string, number>();
  const tally = (map: Map<string, number>, endpoint: string, delta: number) => {
    const n = (map.get(endpoint) ?? 0) + delta;
    if (n > 0) map.set(endpoint, n);
    else map.delete(endpoint);
  };
  const count = (endpoint: string, delta: number) => tally(busy, endpoint, delta);
  /** the leases this process held as the last claim ran, and what it claimed; `claiming`: it is under way */
  let claimLeases = new Map<string, number>();
  let claiming = false;
  /**
   * Whether the last claim may have left deliveries to `endpoint` unclaimed because it counted this process's leases
   * there (one of them this attempt's, whose outcome is written now): under way, it may have; done, it did if the
   * endpoint was at its cap by those leases.
   */
  const leaseLimited = (endpoint: string) => {
    const n = claimLeases.get(endpoint) ?? 0;
    return n > 0 && (claiming || n >= deps.perEndpoint);
  };
  let running = false;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;
  let stopWake: (() => void) | null = null;
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
    retrySingly: (error) => !isConnectionError(error),
    onBatchError: (error, count) => deps.log.error({ err: error, count }, 'writing a batch of CRM outcomes failed; writing them one by one'),
  });

  const gate = createLogGate(5_000);
  /** while claims fail (the database is away), the loop waits longer between them, up to this */
  const MAX_CLAIM_BACKOFF_MS = 2_000;
  let claimBackoffMs = 0;

  /**
   * Writes an attempt's outcome. While the database cannot be reached it is kept and written again with capped
   * back-off: this process is alive, so its claim stands, and the delivery is not sent twice. (Were the process to
   * stop meanwhile, its claims end with it and another process sends them again: the CRM deduplicates on
   * `webhook-id`.) Any other failure is logged; the claim then runs out and the attempt is made again.
   */
  async function submit(outcome: Outcome): Promise<void> {
    let delay = 100;
    for (;;) {
      try {
        await outcomes.submit(outcome);
        return;
      } catch (error) {
        if (!isConnectionError(error)) {
          deps.log.error({ err: error }, 'writing a CRM outcome failed; its claim runs out and the attempt is made again');
          return;
        }
        if (!running) return;
        gate('outcome', () => deps.log.warn({ err: error }, 'writing CRM outcomes failed (the database is unreachable); retrying'));
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, MAX_CLAIM_BACKOFF_MS);
      }
    }
  }

  function lookNow(): void {
    lookDue = true;
    kicked = true;
    wake?.();
  }

  /**
   * Runs one attempt; `counted`: its endpoint slot was reserved already. The slots (the endpoint's and the process's)
   * are held while the request is under way and given back when it is answered: writing the outcome is the
   * database's work, not the endpoint's, and an endpoint's next delivery must not wait for it. Outcomes waiting to be
   * written are bounded apart (`room`). The claim query still counts a delivery until its outcome is written (by the
   * row's lease), so across processes the cap only errs low.
   */
  function launch(job: Job, counted = false): Promise<void> {
    const endpoint = deps.endpointOf(job);
    const id = deps.idOf(job);
    holding.add(id);
    if (!counted) count(endpoint, 1);
    attempting += 1;
    let answered = false;
    const free = () => {
      if (answered) return;
      answered = true;
      attempting -= 1;
      const atCap = (busy.get(endpoint) ?? 0) >= deps.perEndpoint;
      count(endpoint, -1);
      const next = running ? held.get(endpoint)?.shift() : undefined;
      if (next !== undefined) {
        heldCount -= 1;
        if (held.get(endpoint)?.length === 0) held.delete(endpoint);
        void launch(next);
        return;
      }
      // with a backlog, or at an endpoint that was at its cap, a freed slot must not wait for the next poll
      // (elsewhere a retry due at once waits at most one poll)
      tally(unwritten, endpoint, 1);
      if (!caughtUp || atCap) lookNow();
    };
    const task: Promise<void> = deps
      .attempt(job)
      .then((outcome) => {
        free();
        return submit(outcome);
      })
      .catch((error: unknown) => deps.log.error({ err: error }, 'CRM delivery failed unexpectedly'))
      .finally(() => {
        free();
        holding.delete(id);
        const wasFull = recording() > deps.concurrency;
        inFlight.delete(task);
        tally(unwritten, endpoint, -1);
        // The outcome is written and the row's lease gone: with a backlog, or after a claim that lease may have
        // limited, the claim query may have room now; and after outcomes held everything back, whatever waited
        // meanwhile is claimed now.
        if (!caughtUp || leaseLimited(endpoint) || (wasFull && recording() <= deps.concurrency && lookDue)) lookNow();
      });
    inFlight.add(task);
    return task;
  }

  /** Starts a claimed delivery, or holds it until its endpoint has a free slot here. */
  function startClaimed(job: Job): void {
    const endpoint = deps.endpointOf(job);
    if ((busy.get(endpoint) ?? 0) < deps.perEndpoint) {
      void launch(job);
      return;
    }
    held.set(endpoint, [...(held.get(endpoint) ?? []), job]);
    holding.add(deps.idOf(job));
    heldCount += 1;
  }

  /** attempts answered whose outcomes are not written yet */
  const recording = () => inFlight.size - attempting;
  /** How many more attempts this process may start: none while more outcomes than that wait to be written. */
  const room = () => (recording() > deps.concurrency ? 0 : Math.max(0, deps.concurrency - attempting - reserved - heldCount));

  /** Waits `ms`, or less when woken (a poke, a freed slot) if `wakeable`; `stop` always wakes it. */
  function pause(ms: number, wakeable = true): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = null;
        stopWake = null;
        resolve();
      }
      if (wakeable) wake = done;
      stopWake = done;
    });
  }

  async function run(): Promise<void> {
    while (running) {
      kicked = false;
      const space = room();
      let claimed: Job[] = [];
      if (orphansPossible) {
        try {
          const released = await deps.releaseOrphans([...holding]);
          orphansPossible = false;
          if (released > 0) deps.log.info({ count: released }, 'released CRM claims whose answer was lost with the connection');
        } catch (error) {
          claimBackoffMs = Math.min(Math.max(claimBackoffMs * 2, 100), MAX_CLAIM_BACKOFF_MS);
          gate('orphans', () => deps.log.warn({ err: error }, 'releasing lost CRM claims failed; retrying'));
          if (running) await pause(claimBackoffMs, false);
          continue;
        }
      }
      if (space > 0) {
        let failed = false;
        // the leases this process holds as the claim runs (in flight, reserved, or answered but not written)
        const leases = new Map(busy);
        for (const [endpoint, n] of unwritten) tally(leases, endpoint, n);
        claimLeases = leases;
        claiming = true;
        try {
          claimed = await deps.claim(space);
          claimBackoffMs = 0;
        } catch (error) {
          failed = true;
          if (isConnectionError(error)) orphansPossible = true;
          claimBackoffMs = Math.min(Math.max(claimBackoffMs * 2, 100), MAX_CLAIM_BACKOFF_MS);
          gate(isConnectionError(error) ? 'claim-unreachable' : 'claim', () =>
            isConnectionError(error)
              ? deps.log.warn({ err: error }, 'claiming CRM deliveries failed (the database is unreachable); retrying')
              : deps.log.error({ err: error }, 'claiming CRM deliveries failed'),
          );
        }
        // this claim answered the looks asked for before it; one asked for while it ran is still due
        lookDue = kicked;
        for (const c of claimed) {
          startClaimed(c);
          tally(leases, deps.endpointOf(c), 1);
        }
        claiming = false;
        // fewer than there was room for, and no endpoint held back by its cap here: nothing older is due
        caughtUp = !failed && claimed.length < space && ![...busy.values()].some((n) => n >= deps.perEndpoint);
      }
      // a full batch means more may be due; a slot freed or a poke while claiming means look again at once;
      // otherwise wait for a free slot, a poke or the next poll
      if (claimed.length > 0 && claimed.length === space) continue;
      if (claimBackoffMs > 0) {
        // the claim failed: wait before the next, however many pokes arrive meanwhile
        if (running) await pause(claimBackoffMs, false);
        continue;
      }
      if (kicked && room() > 0) continue;
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
      // held deliveries stay claimed by this process: once it is gone from the registry any process sends them
      held.clear();
      heldCount = 0;
      if (pokeTimer) clearTimeout(pokeTimer);
      pokeTimer = null;
      stopWake?.();
      await loop;
      loop = null;
      await Promise.allSettled([...inFlight]);
      await outcomes.idle();
    },
    async runOnce() {
      const claimed = await deps.claim(deps.concurrency);
      await Promise.all(claimed.map((job) => launch(job)));
      return claimed.length;
    },
    reserve(endpoint, want) {
      if (!running || !caughtUp || lookDue) return 0;
      const n = Math.max(0, Math.min(want, room(), deps.perEndpoint - (busy.get(endpoint) ?? 0)));
      // what is not taken is written unclaimed: nothing newer goes past it until a claim has run
      if (n < want) lookDue = true;
      if (n === 0) return 0;
      reserved += n;
      count(endpoint, n);
      return n;
    },
    release(endpoint, n) {
      reserved -= n;
      count(endpoint, -n);
      // the transaction that wrote them claimed failed; if only its answer was lost, they are claimed by nobody
      orphansPossible = true;
    },
    launch(jobs) {
      for (const job of jobs) {
        reserved -= 1;
        if (running) {
          void launch(job, true);
        } else {
          // stopped meanwhile: the row stays claimed until its lease runs out, then any process sends it
          count(deps.endpointOf(job), -1);
        }
      }
    },
    poke() {
      if (!running) return;
      lookDue = true;
      if (pokeTimer) return;
      pokeTimer = setTimeout(() => {
        pokeTimer = null;
        lookNow();
      }, POKE_COALESCE_MS);
    },
  };
}
