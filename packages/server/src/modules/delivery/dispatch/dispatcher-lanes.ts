/**
 * The CRM dispatcher's slots in this process, per endpoint and overall: attempts in flight (`busy`, of them those of
 * new deliveries handed over: `fresh`), and deliveries held until their endpoint has a free slot here (`held`, claimed;
 * `heldFresh`, handed over). One object, so the dispatcher's loop reads what fills the slots instead of a
 * dozen loose variables.
 */
export type DispatcherLanes<Job> = ReturnType<typeof createDispatcherLanes<Job>>;

function tally(map: Map<string, number>, endpoint: string, delta: number): void {
  const n = (map.get(endpoint) ?? 0) + delta;
  if (n > 0) map.set(endpoint, n);
  else map.delete(endpoint);
}

export function createDispatcherLanes<Job>() {
  /** attempts in flight, per endpoint */
  const busy = new Map<string, number>();
  /**
   * Claimed deliveries to an endpoint already at its cap here: the claim query counts what is committed, and new
   * deliveries handed over may have taken slots meanwhile. They start as the endpoint's slots free.
   */
  const held = new Map<string, Job[]>();
  /** New deliveries handed over by this process's writer, waiting for a slot at their endpoint (`freshMayStart`). */
  const heldFresh = new Map<string, Job[]>();
  /** of `busy`, the attempts of new deliveries handed over, per endpoint (until answered) */
  const fresh = new Map<string, number>();
  const counts = {
    /** deliveries reserved for hand-overs whose transaction has not ended */
    reserved: 0,
    /** deliveries in `held` and `heldFresh` */
    held: 0,
  };

  return {
    counts,
    busyAt: (endpoint: string): number => busy.get(endpoint) ?? 0,
    /** Takes (positive) or gives back (negative) slots at an endpoint. */
    count: (endpoint: string, delta: number): void => tally(busy, endpoint, delta),
    freshAt: (endpoint: string): number => fresh.get(endpoint) ?? 0,
    fresh: (endpoint: string, delta: number): void => tally(fresh, endpoint, delta),
    /** Holds `job` until a slot at `endpoint` frees; `fresh`: a new delivery handed over (served first, see takeHeld). */
    hold(endpoint: string, job: Job, fresh: boolean): void {
      const queues = fresh ? heldFresh : held;
      queues.set(endpoint, [...(queues.get(endpoint) ?? []), job]);
      counts.held += 1;
    },
    /** The next delivery held for `endpoint`, taken out of the hold: a new one first when `freshMayStart`. */
    takeHeld(endpoint: string, freshMayStart: boolean): { job: Job; fresh: boolean } | undefined {
      for (const [queues, fresh] of [[heldFresh, true], [held, false]] as const) {
        if (fresh && !freshMayStart) continue;
        const job = queues.get(endpoint)?.shift();
        if (job === undefined) continue;
        counts.held -= 1;
        if (queues.get(endpoint)?.length === 0) queues.delete(endpoint);
        return { job, fresh };
      }
      return undefined;
    },
    /** New deliveries handed over, in flight or held for a slot, at every endpoint. */
    freshInUse(): number {
      let n = 0;
      for (const k of fresh.values()) n += k;
      for (const jobs of heldFresh.values()) n += jobs.length;
      return n;
    },
    clearHeld(): void {
      held.clear();
      heldFresh.clear();
      counts.held = 0;
    },
    /**
     * This process's claimed deliveries per endpoint, under way or held for a slot: what a claim counts as its own
     * against the claims' cap (new deliveries handed over have their own share of the endpoint's slots).
     */
    claimedOwn(): Map<string, number> {
      const own = new Map(busy);
      for (const [endpoint, n] of fresh) tally(own, endpoint, -n);
      for (const [endpoint, jobs] of held) tally(own, endpoint, jobs.length);
      return own;
    },
  };
}
