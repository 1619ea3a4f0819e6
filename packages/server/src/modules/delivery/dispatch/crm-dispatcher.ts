import { createLogGate } from '../../../shared/logger.ts';
import { createDispatcherLanes } from './dispatcher-lanes.ts';
import { createClaimLoop } from './dispatcher-claim-loop.ts';
import { createLoopState, pauseLoop } from './dispatcher-loop-state.ts';
import { createOutcomeWriter } from './dispatcher-outcomes.ts';
import { createRetryTimer } from './dispatcher-retry-timer.ts';
import { createOrphanRelease } from './dispatcher-orphans.ts';
import { createBacklogPacer } from './dispatcher-pacer.ts';
import { freshMayStartAt, freshShares } from './dispatcher-shares.ts';
import type { CrmDispatcher, DispatcherDeps } from './dispatcher-types.ts';

export type { CrmDispatcher, DispatcherDeps, DispatcherHandoff } from './dispatcher-types.ts';

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
 * The parts: the slots per endpoint (dispatcher-lanes.ts), the share of them kept for new deliveries
 * (dispatcher-shares.ts), the pace of a backlog (dispatcher-pacer.ts), the outcome writer (dispatcher-outcomes.ts),
 * the release of lost claims (dispatcher-orphans.ts), the retry timer (dispatcher-retry-timer.ts), the claim loop
 * (dispatcher-claim-loop.ts), whose state is the `loop` object (dispatcher-loop-state.ts), and here the attempts.
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
  const loop = createLoopState();
  const pacer = createBacklogPacer(deps.backlogPerSecond);
  /**
   * Pokes arriving together (a burst of changes) make one early look, not one each. Short: in the split topology every
   * new delivery reaches a worker by a poke (the announcement of `serve --no-workers`), and 5 ms here was about a
   * quarter of the way from its row to the CRM (bench:crm, split, 200 events/s: row → CRM p50 21 ms, 16–17 with 1 ms).
   */
  const POKE_COALESCE_MS = 1;

  const gate = createLogGate(5_000);
  const outcomes = createOutcomeWriter<Outcome>({ record: deps.record, log: deps.log, gate, running: () => loop.running });
  const retryTimer = createRetryTimer(() => lookNow());

  function lookNow(): void {
    // handing over only: no claim to run here (what is due is the workers')
    if (!loop.claiming) return;
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

  /** Whether a new delivery handed over may start at `endpoint` (given a free slot): see dispatcher-shares.ts. */
  const freshMayStart = (endpoint: string) => freshMayStartAt(shares, lanes, endpoint, loop.caughtUp && !loop.lookDue);

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

  const orphans = createOrphanRelease({
    loop,
    release: deps.releaseOrphans,
    holding: () => [...attempts.holding],
    pause: (ms) => pauseLoop(loop, ms, false),
    gate,
    log: deps.log,
  });

  const run = createClaimLoop({ deps, loop, pacer, orphans, lanes, claimPerEndpoint: shares.claimPerEndpoint, claimRoom, start, gate });

  return {
    start() {
      if (loop.running) return;
      loop.running = true;
      loop.claiming = true;
      loop.run = run();
    },
    startHandingOver() {
      if (loop.running) return;
      loop.running = true;
      loop.claiming = false;
      // nothing claimed here waits for a slot: what is handed over may take all of them
      loop.caughtUp = true;
      loop.lookDue = false;
    },
    async stop() {
      loop.running = false;
      // held deliveries stay claimed by this process: once it is gone from the registry any process sends them
      lanes.clearHeld();
      if (loop.pokeTimer) clearTimeout(loop.pokeTimer);
      loop.pokeTimer = null;
      retryTimer.clear();
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
      // `start`), ahead of a backlog but within their share of its slots. Without room (a backlog draining takes the
      // claims' slots, and its outcomes wait to be written), new ones are still taken, up to `concurrency` of them
      // started or held, while up to twice `concurrency` outcomes wait to be written: new events must not be written
      // unclaimed, to queue behind that backlog (bench:crm's outage run, the seconds after the return: with only the
      // fresh share of 8 taken, a round's events queued up to a second). Beyond that the writes are failing or stuck,
      // and nothing more starts.
      const freshRoom = () => (recording() > 2 * deps.concurrency ? 0 : Math.max(0, deps.concurrency - lanes.freshInUse() - lanes.counts.reserved));
      const free = room();
      const n = Math.max(0, Math.min(want, free >= want ? free : Math.max(free, freshRoom())));
      // what is not taken is written unclaimed: a claim runs for it (here, or in a worker process it is announced to)
      if (n < want && loop.claiming) loop.lookDue = true;
      lanes.counts.reserved += n;
      return n;
    },
    release(_endpoint, n) {
      lanes.counts.reserved -= n;
      // the transaction that wrote them claimed failed; if only its answer was lost, they are claimed by nobody
      loop.orphansPossible = true;
      orphans.whileHandingOver();
    },
    launch(jobs) {
      for (const job of jobs) {
        lanes.counts.reserved -= 1;
        // stopped meanwhile: the row stays claimed until this process is gone from the registry, then any sends it
        if (loop.running) start(job, true);
      }
    },
    running: () => loop.running,
    claiming: () => loop.running && loop.claiming,
    wakeAt(at) {
      if (!loop.running || !loop.claiming) return;
      retryTimer.wakeAt(at);
    },
    poke() {
      if (!loop.running || !loop.claiming) return;
      loop.lookDue = true;
      if (loop.pokeTimer) return;
      loop.pokeTimer = setTimeout(() => {
        loop.pokeTimer = null;
        lookNow();
      }, POKE_COALESCE_MS);
    },
  };
}
