import { isConnectionError } from '../../../shared/db-errors.ts';
import type { DispatcherLanes } from './dispatcher-lanes.ts';
import { pauseLoop, type LoopState } from './dispatcher-loop-state.ts';
import { MAX_CLAIM_BACKOFF_MS } from './dispatcher-outcomes.ts';
import type { OrphanRelease } from './dispatcher-orphans.ts';
import type { BacklogPacer } from './dispatcher-pacer.ts';
import type { DispatcherDeps } from './dispatcher-types.ts';

/** While the last claim left deliveries due (a backlog), the loop looks at least this often. */
const BACKLOG_POLL_MS = 50;

export type ClaimLoopParts<Job> = {
  deps: Pick<DispatcherDeps<Job, unknown>, 'claim' | 'waited' | 'log' | 'pollIntervalMs'>;
  loop: LoopState;
  pacer: BacklogPacer;
  orphans: OrphanRelease;
  lanes: Pick<DispatcherLanes<Job>, 'claimedOwn'>;
  /** the most deliveries a claim takes per endpoint (dispatcher-shares.ts) */
  claimPerEndpoint: number;
  /** how many deliveries a claim may take now (the process's room less the fresh share) */
  claimRoom: () => number;
  /** starts a claimed delivery, or holds it for a free slot at its endpoint (crm-dispatcher.ts) */
  start: (job: Job, fresh: boolean) => void;
  /** one log line per key every few seconds (createLogGate) */
  gate: (key: string, fn: () => void) => void;
};

/**
 * The CRM dispatcher's claim loop (crm-dispatcher.ts): claims due deliveries while it has room, at a backlog's pace,
 * releasing lost claims first, backing off while claims fail; between claims it sleeps until a poke, a freed slot or
 * the next poll. Its state is `loop` (dispatcher-loop-state.ts); it runs until `loop.running` is false.
 */
export function createClaimLoop<Job>(parts: ClaimLoopParts<Job>): () => Promise<void> {
  const { deps, loop, pacer, orphans, lanes, claimPerEndpoint, claimRoom, start, gate } = parts;
  return async function run(): Promise<void> {
    while (loop.running) {
      loop.kicked = false;
      const space = claimRoom();
      if (space > 0 && !pacer.mayClaim()) {
        // a backlog at its pace (dispatcher-pacer.ts): nothing but `stop` wakes the loop before its next batch
        if (loop.running) await pauseLoop(loop, pacer.msUntilClaim(), false);
        continue;
      }
      let claimed: Job[] = [];
      if (loop.orphansPossible && !(await orphans.once())) {
        if (loop.running) await pauseLoop(loop, loop.claimBackoffMs, false);
        continue;
      }
      if (space > 0) {
        let failed = false;
        // this process's claimed deliveries per endpoint as the claim runs (under way or held); with what it
        // claims, whether it left an endpoint at the claims' cap (deliveries may be waiting there)
        const own = lanes.claimedOwn();
        try {
          claimed = await deps.claim(space, claimPerEndpoint, own);
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
        pacer.take(claimed.filter((c) => deps.waited(c)).length);
        for (const c of claimed) start(c, false);
        // Only a claim that found nothing says nothing older is due. One that found fewer than there was room for may
        // have been held back by an endpoint's cap, and the claim cannot tell this process's attempts from another's:
        // in the split topology `serve --no-workers` sends its new deliveries itself, holding some of the endpoint's
        // slots while a worker drains its backlog. Taken as caught up, the worker waited for a poll between claims
        // (bench:crm, split, outage: the backlog 15 s after the return instead of 6); not caught up, a freed slot
        // claims again at once, which costs one claim that finds nothing when the rest was really not due.
        loop.caughtUp = !failed && claimed.length === 0;
        loop.foundSome = claimed.length > 0;
      }
      // a full batch means more may be due; a slot freed or a poke while claiming means look again at once;
      // otherwise wait for a free slot, a poke or the next poll
      if (claimed.length > 0 && claimed.length === space) continue;
      if (loop.claimBackoffMs > 0) {
        // the claim failed: wait before the next, however many pokes arrive meanwhile
        if (loop.running) await pauseLoop(loop, loop.claimBackoffMs, false);
        continue;
      }
      if (loop.kicked && claimRoom() > 0) continue;
      // with a backlog, or after a claim that found deliveries (it may have been held back by other processes'
      // leases, which it cannot tell apart), look again soon whatever wakes the loop meanwhile; caught up and finding
      // nothing, the poll is only a safety net
      const quiet = loop.caughtUp && !loop.foundSome;
      if (loop.running) await pauseLoop(loop, quiet ? deps.pollIntervalMs : Math.min(BACKLOG_POLL_MS, deps.pollIntervalMs));
    }
  };
}
