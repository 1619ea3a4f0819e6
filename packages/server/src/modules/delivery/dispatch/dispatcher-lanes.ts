/**
 * The CRM dispatcher's slots in this process, per endpoint and overall: attempts in flight or reserved for a
 * hand-over (`busy`), claimed deliveries held until their endpoint has a free slot here (`held`), and attempts
 * answered whose outcomes are not written yet (`unwritten`). One object, so the dispatcher's loop reads what fills
 * the slots instead of a dozen loose variables.
 */
export type DispatcherLanes<Job> = ReturnType<typeof createDispatcherLanes<Job>>;

function tally(map: Map<string, number>, endpoint: string, delta: number): void {
  const n = (map.get(endpoint) ?? 0) + delta;
  if (n > 0) map.set(endpoint, n);
  else map.delete(endpoint);
}

export function createDispatcherLanes<Job>(perEndpoint: number) {
  /** attempts in flight or reserved, per endpoint */
  const busy = new Map<string, number>();
  /**
   * Claimed deliveries to an endpoint already at its cap here: the claim query counts what is committed, not the
   * slots this process reserved for hand-overs still in their transaction. They start as the endpoint's slots free.
   */
  const held = new Map<string, Job[]>();
  /**
   * attempts answered whose outcomes are not written yet, per endpoint: their rows' leases still count in the claim
   * query, so a claim may find an endpoint at its cap that is not at its cap here
   */
  const unwritten = new Map<string, number>();
  const counts = {
    /** slots reserved for hand-overs whose transaction has not ended */
    reserved: 0,
    /** deliveries in `held` */
    held: 0,
  };

  return {
    counts,
    busyAt: (endpoint: string): number => busy.get(endpoint) ?? 0,
    /** Takes (positive) or gives back (negative) slots at an endpoint. */
    count: (endpoint: string, delta: number): void => tally(busy, endpoint, delta),
    /** some endpoint is held back by its cap here */
    anyAtCap: (): boolean => [...busy.values()].some((n) => n >= perEndpoint),
    hold(endpoint: string, job: Job): void {
      held.set(endpoint, [...(held.get(endpoint) ?? []), job]);
      counts.held += 1;
    },
    /** The next delivery held for `endpoint`, taken out of the hold. */
    takeHeld(endpoint: string): Job | undefined {
      const next = held.get(endpoint)?.shift();
      if (next === undefined) return undefined;
      counts.held -= 1;
      if (held.get(endpoint)?.length === 0) held.delete(endpoint);
      return next;
    },
    clearHeld(): void {
      held.clear();
      counts.held = 0;
    },
    unwritten: (endpoint: string, delta: number): void => tally(unwritten, endpoint, delta),
    /** the leases this process holds now, per endpoint (in flight, reserved, or answered but not written) */
    leases(): Map<string, number> {
      const leases = new Map(busy);
      for (const [endpoint, n] of unwritten) tally(leases, endpoint, n);
      return leases;
    },
    tally,
  };
}
