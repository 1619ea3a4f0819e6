import { isConnectionError } from '../../../shared/db-errors.ts';
import { createLogGate } from '../../../shared/logger.ts';
import { createDispatcherLanes } from './dispatcher-lanes.ts';
import { createOutcomeWriter, MAX_CLAIM_BACKOFF_MS } from './dispatcher-outcomes.ts';
import type { CrmDispatcher, DispatcherDeps } from './dispatcher-types.ts';

export type { CrmDispatcher, DispatcherDeps, DispatcherHandoff } from './dispatcher-types.ts';

/** The claim loop's state: whether it runs, what wakes it, and what the last claim found. */
type LoopState = {
  running: boolean;
  run: Promise<void> | null;
  wake: (() => void) | null;
  stopWake: (() => void) | null;
  kicked: boolean;
  pokeTimer: NodeJS.Timeout | null;
  orphansPossible: boolean;
  caughtUp: boolean;
  lookDue: boolean;
  claimLeases: Map<string, number>;
  claiming: boolean;
  claimBackoffMs: number;
};

/**
 * The delivery workers of one process. Deliveries are rows, not queue jobs: the dispatcher claims due rows
 * (a claim is a lease in the row, so two processes never send the same attempt; the claim query keeps every
 * endpoint under its concurrency cap across processes), runs up to `concurrency` attempts at once, and writes
 * their outcomes by group commit: the outcomes that finish while one write is under way go together in the next,
 * so the database work per delivery shrinks as the load grows. An idle dispatcher looks again every
 * `pollIntervalMs`, or at once when poked. Deliveries this process writes while it has room skip the claim query
 * (`DispatcherHandoff`).
 *
 * Three parts: the slots per endpoint (dispatcher-lanes.ts), the outcome writer (dispatcher-outcomes.ts), and here
 * the attempts and the claim loop, whose state is the `loop` object.
 */
export function createCrmDispatcher<Job, Outcome>(deps: DispatcherDeps<Job, Outcome>): CrmDispatcher<Job> {
  const lanes = createDispatcherLanes<Job>(deps.perEndpoint);
  const attempts = {
    /** attempts under way or waiting for their outcome to be written */
    inFlight: new Set<Promise<void>>(),
    /** attempts whose request is under way */
    attempting: 0,
    /** the deliveries this process holds a claim on (under way, held for a free slot, or answered but not written) */
    holding: new Set<string>(),
  };
  const loop: LoopState = {
    running: false,
    run: null,
    wake: null,
    stopWake: null,
    /** something happened since the loop last claimed (a slot freed, a poke): look again before sleeping */
    kicked: false,
    pokeTimer: null,
    /**
     * A claim or a hand-over failed with the connection: the database may have committed claims whose answer never
     * arrived. Before the next claim, those are released (nothing else would touch them until their lease ran out).
     */
    orphansPossible: false,
    /** the last claim found fewer due deliveries than it had room for: nothing older waits (but see `lookDue`) */
    caughtUp: false,
    /**
     * A claim is due or under way (a poke for deliveries written unclaimed, a slot freed at an endpoint at its cap,
     * a backlog): older deliveries may be waiting, so new ones are not handed over past them until it has run.
     */
    lookDue: true,
    /** the leases this process held as the last claim ran, and what it claimed; `claiming`: it is under way */
    claimLeases: new Map<string, number>(),
    claiming: false,
    /** while claims fail (the database is away), the loop waits longer between them, up to MAX_CLAIM_BACKOFF_MS */
    claimBackoffMs: 0,
  };
  /**
   * Whether the last claim may have left deliveries to `endpoint` unclaimed because it counted this process's leases
   * there (one of them this attempt's, whose outcome is written now): under way, it may have; done, it did if the
   * endpoint was at its cap by those leases.
   */
  const leaseLimited = (endpoint: string) => {
    const n = loop.claimLeases.get(endpoint) ?? 0;
    return n > 0 && (loop.claiming || n >= deps.perEndpoint);
  };
  /** Pokes arriving together (a burst of changes) make one early look, not one each. */
  const POKE_COALESCE_MS = 5;

  const gate = createLogGate(5_000);
  const outcomes = createOutcomeWriter<Outcome>({ record: deps.record, log: deps.log, gate, running: () => loop.running });

  function lookNow(): void {
    loop.lookDue = true;
    loop.kicked = true;
    loop.wake?.();
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
    attempts.holding.add(id);
    if (!counted) lanes.count(endpoint, 1);
    attempts.attempting += 1;
    let answered = false;
    const free = () => {
      if (answered) return;
      answered = true;
      attempts.attempting -= 1;
      const atCap = lanes.busyAt(endpoint) >= deps.perEndpoint;
      lanes.count(endpoint, -1);
      const next = loop.running ? lanes.takeHeld(endpoint) : undefined;
      if (next !== undefined) {
        void launch(next);
        return;
      }
      // with a backlog, or at an endpoint that was at its cap, a freed slot must not wait for the next poll
      // (elsewhere a retry due at once waits at most one poll)
      lanes.unwritten(endpoint, 1);
      if (!loop.caughtUp || atCap) lookNow();
    };
    const task: Promise<void> = deps
      .attempt(job)
      .then((outcome) => {
        free();
        return outcomes.submit(outcome);
      })
      .catch((error: unknown) => deps.log.error({ err: error }, 'CRM delivery failed unexpectedly'))
      .finally(() => {
        free();
        attempts.holding.delete(id);
        const wasFull = recording() > deps.concurrency;
        attempts.inFlight.delete(task);
        lanes.unwritten(endpoint, -1);
        // The outcome is written and the row's lease gone: with a backlog, or after a claim that lease may have
        // limited, the claim query may have room now; and after outcomes held everything back, whatever waited
        // meanwhile is claimed now.
        if (!loop.caughtUp || leaseLimited(endpoint) || (wasFull && recording() <= deps.concurrency && loop.lookDue)) lookNow();
      });
    attempts.inFlight.add(task);
    return task;
  }

  /** Starts a claimed delivery, or holds it until its endpoint has a free slot here. */
  function startClaimed(job: Job): void {
    const endpoint = deps.endpointOf(job);
    if (lanes.busyAt(endpoint) < deps.perEndpoint) {
      void launch(job);
      return;
    }
    lanes.hold(endpoint, job);
    attempts.holding.add(deps.idOf(job));
  }

  /** attempts answered whose outcomes are not written yet */
  const recording = () => attempts.inFlight.size - attempts.attempting;
  /** How many more attempts this process may start: none while more outcomes than that wait to be written. */
  const room = () =>
    recording() > deps.concurrency ? 0 : Math.max(0, deps.concurrency - attempts.attempting - lanes.counts.reserved - lanes.counts.held);

  /** Waits `ms`, or less when woken (a poke, a freed slot) if `wakeable`; `stop` always wakes it. */
  function pause(ms: number, wakeable = true): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        loop.wake = null;
        loop.stopWake = null;
        resolve();
      }
      if (wakeable) loop.wake = done;
      loop.stopWake = done;
    });
  }

  async function run(): Promise<void> {
    while (loop.running) {
      loop.kicked = false;
      const space = room();
      let claimed: Job[] = [];
      if (loop.orphansPossible) {
        try {
          const released = await deps.releaseOrphans([...attempts.holding]);
          loop.orphansPossible = false;
          if (released > 0) deps.log.info({ count: released }, 'released CRM claims whose answer was lost with the connection');
        } catch (error) {
          loop.claimBackoffMs = Math.min(Math.max(loop.claimBackoffMs * 2, 100), MAX_CLAIM_BACKOFF_MS);
          gate('orphans', () => deps.log.warn({ err: error }, 'releasing lost CRM claims failed; retrying'));
          if (loop.running) await pause(loop.claimBackoffMs, false);
          continue;
        }
      }
      if (space > 0) {
        let failed = false;
        // the leases this process holds as the claim runs (in flight, reserved, or answered but not written)
        const leases = lanes.leases();
        loop.claimLeases = leases;
        loop.claiming = true;
        try {
          claimed = await deps.claim(space);
          loop.claimBackoffMs = 0;
        } catch (error) {
          failed = true;
          if (isConnectionError(error)) loop.orphansPossible = true;
          loop.claimBackoffMs = Math.min(Math.max(loop.claimBackoffMs * 2, 100), MAX_CLAIM_BACKOFF_MS);
          gate(isConnectionError(error) ? 'claim-unreachable' : 'claim', () =>
            isConnectionError(error)
              ? deps.log.warn({ err: error }, 'claiming CRM deliveries failed (the database is unreachable); retrying')
              : deps.log.error({ err: error }, 'claiming CRM deliveries failed'),
          );
        }
        // this claim answered the looks asked for before it; one asked for while it ran is still due
        loop.lookDue = loop.kicked;
        for (const c of claimed) {
          startClaimed(c);
          lanes.tally(leases, deps.endpointOf(c), 1);
        }
        loop.claiming = false;
        // fewer than there was room for, and no endpoint held back by its cap here: nothing older is due
        loop.caughtUp = !failed && claimed.length < space && !lanes.anyAtCap();
      }
      // a full batch means more may be due; a slot freed or a poke while claiming means look again at once;
      // otherwise wait for a free slot, a poke or the next poll
      if (claimed.length > 0 && claimed.length === space) continue;
      if (loop.claimBackoffMs > 0) {
        // the claim failed: wait before the next, however many pokes arrive meanwhile
        if (loop.running) await pause(loop.claimBackoffMs, false);
        continue;
      }
      if (loop.kicked && room() > 0) continue;
      if (loop.running) await pause(deps.pollIntervalMs);
    }
  }

  return {
    start() {
      if (loop.running) return;
      loop.running = true;
      loop.run = run();
    },
    async stop() {
      loop.running = false;
      // held deliveries stay claimed by this process: once it is gone from the registry any process sends them
      lanes.clearHeld();
      if (loop.pokeTimer) clearTimeout(loop.pokeTimer);
      loop.pokeTimer = null;
      loop.stopWake?.();
      await loop.run;
      loop.run = null;
      await Promise.allSettled([...attempts.inFlight]);
      await outcomes.idle();
    },
    async runOnce() {
      const claimed = await deps.claim(deps.concurrency);
      await Promise.all(claimed.map((job) => launch(job)));
      return claimed.length;
    },
    reserve(endpoint, want) {
      if (!loop.running || !loop.caughtUp || loop.lookDue) return 0;
      const n = Math.max(0, Math.min(want, room(), deps.perEndpoint - lanes.busyAt(endpoint)));
      // what is not taken is written unclaimed: nothing newer goes past it until a claim has run
      if (n < want) loop.lookDue = true;
      if (n === 0) return 0;
      lanes.counts.reserved += n;
      lanes.count(endpoint, n);
      return n;
    },
    release(endpoint, n) {
      lanes.counts.reserved -= n;
      lanes.count(endpoint, -n);
      // the transaction that wrote them claimed failed; if only its answer was lost, they are claimed by nobody
      loop.orphansPossible = true;
    },
    launch(jobs) {
      for (const job of jobs) {
        lanes.counts.reserved -= 1;
        if (loop.running) {
          void launch(job, true);
        } else {
          // stopped meanwhile: the row stays claimed until its lease runs out, then any process sends it
          lanes.count(deps.endpointOf(job), -1);
        }
      }
    },
    poke() {
      if (!loop.running) return;
      loop.lookDue = true;
      if (loop.pokeTimer) return;
      loop.pokeTimer = setTimeout(() => {
        loop.pokeTimer = null;
        lookNow();
      }, POKE_COALESCE_MS);
    },
  };
}
