/**
 * The CRM dispatcher's fresh share: the slots kept for new deliveries handed over by this process's writers, and
 * whether a new delivery held for a slot may take one before the claimed deliveries of a backlog.
 */

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

export type FreshShares = ReturnType<typeof freshShares>;

/**
 * Whether a new delivery handed over may start at `endpoint` (given a free slot): always when nothing older is due;
 * otherwise within the endpoint's fresh share, so a backlog keeps the rest of its slots.
 */
export function freshMayStartAt(
  shares: FreshShares,
  lanes: { freshAt(endpoint: string): number },
  endpoint: string,
  nothingOlderDue: boolean,
): boolean {
  return nothingOlderDue || lanes.freshAt(endpoint) < shares.freshPerEndpoint;
}
