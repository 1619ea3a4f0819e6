import { isConnectionError } from '../../../shared/db-errors.ts';
import { createLogGate } from '../../../shared/logger.ts';
import { createDispatcherLanes } from './dispatcher-lanes.ts';
import { createOutcomeWriter, MAX_CLAIM_BACKOFF_MS } from './dispatcher-outcomes.ts';
import type { CrmDispatcher, DispatcherDeps } from './dispatcher-types.ts';

export type { CrmDispatcher, DispatcherDeps, DispatcherHandoff } from './dispatcher-types.ts';

/**
 * The slots kept for new deliveries handed over by this process's writers (`reserve`): an eighth of the process's
 * and of each endpoint's (4 of the default 32), and the next slot that frees at an endpoint where new ones wait.
 * Claims (retries, a backlog after an outage, deliveries of other processes) take the rest, so a backlog never holds
 * up what happens now, and drains in its own order beside it (issue 24: new events keep their latency while an
 * endpoint that was down catches up). A larger share drained the backlog slower (a quarter: the fault suite's 20 s
 * outage in 7.5 s instead of 5 s with two workers) for no gain in the new events' latency.
 */
export function freshShares(concurrency: number, perEndpoint: number) {
  const freshPerEndpoint = Math.max(1, Math.floor(perEndpoint / 8));
  return {
    freshPerEndpoint,
    /** an endpoint with a single slot shares it: whichever kind comes first takes it */
    claimPerEndpoint: Math.max(1, perEndpoint - freshPerEndpoint),
    fresh: concurrency > 1 ? Math.max(1, Math.floor(concurrency / 8)) : 0,
  };
}

/** The claim loop's state: whether it runs, what wakes it, and what the last claim found. */
type LoopState = {
  running: boolean;
  run: Promise<void> | null;
  wake: (() => void) | null;
  stopWake: (() => void) | null;
  kicked: boolean;
  /** the last claim found due deliveries */
  foundSome: boolean;
  pokeTimer: NodeJS.Timeout | null;
  /** the earliest retry this process wrote, and the timer that looks for it when it is due (`wakeAt`) */
  dueTimer: { at: number; timer: NodeJS.Timeout } | null;
  orphansPossible: boolean;
  caughtUp: boolean;
  lookDue: boolean;
  claimBackoffMs: number;
};

/**
 * The delivery workers of one process. Deliveries are rows, not queue jobs: the dispatcher claims due rows
 * (a claim is a lease in the row, so two processes never send the same attempt; the claim query keeps every
 * endpoint under its concurrency cap across processes), runs up to `concurrency` attempts at once, and writes
 * their outcomes by group commit: the outcomes that finish while one write is under way go together in the next,
 * so the database work per delivery shrinks as the load grows. Deliveries this process writes while it has room
 * skip the claim query (`DispatcherHandoff`); the others are looked for at once (`poke`: written here unclaimed, or
 * announced by another process), when the earliest retry this process wrote comes due (`wakeAt`), and otherwise
 * every `pollIntervalMs` (retries another process wrote, claims of a process that died). The claim scans, so an idle
 * look is not free: the poll is a safety net, not the way work is found.
 *
 * Three parts: the slots per endpoint (dispatcher-lanes.ts), the outcome writer (dispatcher-outcomes.ts), and here
 * the attempts and the claim loop, whose state is the `loop` object.
 */
export function createCrmDispatcher<Job, Outcome>(deps: DispatcherDeps<Job, Outcome>): CrmDispatcher<Job> {
  const shares = freshShares(deps.concurrency, deps.perEndpoint);
  const lanes = createDispatcherLanes<Job>();
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
    foundSome: false,
    pokeTimer: null,
    dueTimer: null,
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
    /** while claims fail (the database is away), the loop waits longer between them, up to MAX_CLAIM_BACKOFF_MS */
    claimBackoffMs: 0,
  };
  /** While the last claim left deliveries due (a backlog), the loop looks at least this often. */
  const BACKLOG_POLL_MS = 50;
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
   * Runs one attempt; `fresh`: a new delivery handed over (it counts in the endpoint's fresh share). The slots (the endpoint's and the process's)
   * are held while the request is under way and given back when it is answered: writing the outcome is the
   * database's work, not the endpoint's, and an endpoint's next delivery must not wait for it. Outcomes waiting to be
   * written are bounded apart (`room`). The claim query still counts a delivery until its outcome is written (by the
   * row's lease), so across processes the cap only errs low.
   */
  function launch(job: Job, fresh = false): Promise<void> {
    const endpoint = deps.endpointOf(job);
    const id = deps.idOf(job);
    attempts.holding.add(id);
    lanes.count(endpoint, 1);
    if (fresh) lanes.fresh(endpoint, 1);
    attempts.attempting += 1;
    let answered = false;
    const free = () => {
      if (answered) return;
      answered = true;
      attempts.attempting -= 1;
      const atCap = lanes.busyAt(endpoint) >= shares.claimPerEndpoint;
      lanes.count(endpoint, -1);
      if (fresh) lanes.fresh(endpoint, -1);
      const next = loop.running ? lanes.takeHeld(endpoint, freshMayStart(endpoint)) : undefined;
      if (next !== undefined) {
        void launch(next.job, next.fresh);
        return;
      }
      // with a backlog, or at an endpoint that was at its cap, a freed slot must not wait for the next poll
      // (elsewhere a retry due at once waits at most one poll)
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
        // The outcome is written: with a backlog the process may have room again; and after outcomes held
        // everything back, whatever waited meanwhile is claimed now.
        if (!loop.caughtUp || (wasFull && recording() <= deps.concurrency && loop.lookDue)) lookNow();
      });
    attempts.inFlight.add(task);
    return task;
  }

  /**
   * Whether a new delivery handed over may start at `endpoint` (given a free slot): always when nothing older is due;
   * otherwise within the endpoint's fresh share, so a backlog keeps the rest of its slots.
   */
  const freshMayStart = (endpoint: string) => (loop.caughtUp && !loop.lookDue) || lanes.freshAt(endpoint) < shares.freshPerEndpoint;

  /**
   * Starts a delivery (`fresh`: handed over by this process's writer; otherwise claimed), or holds it until its
   * endpoint has a free slot here. A held new delivery takes the next free slot before a held claimed one, within
   * the fresh share: it waits for the backlog's slots to turn over, never behind the whole backlog.
   */
  function start(job: Job, fresh: boolean): void {
    const endpoint = deps.endpointOf(job);
    if (lanes.busyAt(endpoint) < deps.perEndpoint && (!fresh || freshMayStart(endpoint))) {
      void launch(job, fresh);
      return;
    }
    lanes.hold(endpoint, job, fresh);
    attempts.holding.add(deps.idOf(job));
  }

  /** attempts answered whose outcomes are not written yet */
  const recording = () => attempts.inFlight.size - attempts.attempting;
  /** How many more attempts this process may start: none while more outcomes than that wait to be written. */
  const room = () =>
    recording() > deps.concurrency ? 0 : Math.max(0, deps.concurrency - attempts.attempting - lanes.counts.reserved - lanes.counts.held);
  /** How many of them a claim may take: the fresh share stays free for new deliveries handed over (`reserve`). */
  const claimRoom = () => Math.max(0, room() - shares.fresh);

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
      const space = claimRoom();
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
        // this process's claimed deliveries per endpoint as the claim runs (under way or held); with what it
        // claims, whether it left an endpoint at the claims' cap (deliveries may be waiting there)
        const own = lanes.claimedOwn();
        try {
          claimed = await deps.claim(space, shares.claimPerEndpoint, own);
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
        const totals = new Map(own);
        for (const c of claimed) {
          start(c, false);
          lanes.tally(totals, deps.endpointOf(c), 1);
        }
        // fewer than there was room for, and no endpoint held back by its cap here: nothing older is due (but see
        // `foundSome`)
        loop.caughtUp = !failed && claimed.length < space && ![...totals.values()].some((n) => n >= shares.claimPerEndpoint);
        loop.foundSome = claimed.length > 0;
      }
      // a full batch means more may be due; a slot freed or a poke while claiming means look again at once;
      // otherwise wait for a free slot, a poke or the next poll
      if (claimed.length > 0 && claimed.length === space) continue;
      if (loop.claimBackoffMs > 0) {
        // the claim failed: wait before the next, however many pokes arrive meanwhile
        if (loop.running) await pause(loop.claimBackoffMs, false);
        continue;
      }
      if (loop.kicked && claimRoom() > 0) continue;
      // with a backlog, or after a claim that found deliveries (it may have been held back by other processes'
      // leases, which it cannot tell apart), look again soon whatever wakes the loop meanwhile; caught up and finding
      // nothing, the poll is only a safety net
      const quiet = loop.caughtUp && !loop.foundSome;
      if (loop.running) await pause(quiet ? deps.pollIntervalMs : Math.min(BACKLOG_POLL_MS, deps.pollIntervalMs));
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
      if (loop.dueTimer) clearTimeout(loop.dueTimer.timer);
      loop.dueTimer = null;
      loop.stopWake?.();
      await loop.run;
      loop.run = null;
      await Promise.allSettled([...attempts.inFlight]);
      await outcomes.idle();
    },
    async runOnce() {
      const claimed = await deps.claim(deps.concurrency, deps.perEndpoint, lanes.claimedOwn());
      await Promise.all(claimed.map((job) => launch(job)));
      return claimed.length;
    },
    reserve(_endpoint, want) {
      if (!loop.running) return 0;
      // As many as this process has room for: they start at once, or wait here for a slot at their endpoint (see
      // `start`), ahead of a backlog but within their share of its slots.
      const n = Math.max(0, Math.min(want, room()));
      // what is not taken is written unclaimed: a claim runs for it
      if (n < want) loop.lookDue = true;
      lanes.counts.reserved += n;
      return n;
    },
    release(_endpoint, n) {
      lanes.counts.reserved -= n;
      // the transaction that wrote them claimed failed; if only its answer was lost, they are claimed by nobody
      loop.orphansPossible = true;
    },
    launch(jobs) {
      for (const job of jobs) {
        lanes.counts.reserved -= 1;
        // stopped meanwhile: the row stays claimed until this process is gone from the registry, then any sends it
        if (loop.running) start(job, true);
      }
    },
    running: () => loop.running,
    wakeAt(at) {
      if (!loop.running) return;
      const when = at.getTime();
      if (loop.dueTimer && loop.dueTimer.at <= when) return;
      if (loop.dueTimer) clearTimeout(loop.dueTimer.timer);
      // A timer may fire a millisecond before the wall clock reaches `when`: a claim then would find the retry not
      // due yet, and nothing else would look for it until the poll. So it fires just after, and checks.
      const arm = () => {
        const timer = setTimeout(() => {
          if (Date.now() < when) {
            arm();
            return;
          }
          loop.dueTimer = null;
          lookNow();
        }, Math.max(0, when - Date.now()) + 1);
        loop.dueTimer = { at: when, timer };
      };
      arm();
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
