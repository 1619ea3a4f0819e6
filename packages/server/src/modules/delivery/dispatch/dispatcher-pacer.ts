/**
 * The pace of a backlog: how many claimed deliveries that had been waiting (a backlog after an outage, retries come
 * due) one process starts per second (CRM_BACKLOG_PER_SECOND). Unpaced, a backlog drains as fast as the machine goes
 * (bench:crm's outage run: 2,400 attempts a second, both cores busy for 2.5 s), and everything else in the process
 * waits for CPU: the events arriving meanwhile, and other accounts' endpoints (issue 24: one endpoint's trouble must
 * not delay another). A token bucket that holds a twentieth of a second's worth at most, and may go into debt: a claim
 * takes as many as the process has room for, and the next claim waits until what those cost is paid back. So the
 * pace is kept on average, claims stay as large as before (new deliveries a process claims, announced by `serve
 * --no-workers` or written unclaimed, are not paced and cost nothing), and a backlog costs one claim per batch.
 */
export type BacklogPacer = {
  /** Whether a claim may run now (nothing is owed). */
  mayClaim(): boolean;
  /** `n` deliveries that had waited were claimed. */
  take(n: number): void;
  /** Milliseconds until a claim may run (0: now). */
  msUntilClaim(): number;
};

/** The most a pacer holds, in seconds of its rate. */
const BURST_SECONDS = 0.05;

export function createBacklogPacer(perSecond: number, now: () => number = () => performance.now()): BacklogPacer {
  if (perSecond <= 0) return { mayClaim: () => true, take: () => undefined, msUntilClaim: () => 0 };
  const capacity = Math.max(1, perSecond * BURST_SECONDS);
  let tokens = capacity;
  let at = now();
  const refill = () => {
    const t = now();
    tokens = Math.min(capacity, tokens + ((t - at) * perSecond) / 1000);
    at = t;
  };
  return {
    mayClaim() {
      refill();
      return tokens > 0;
    },
    take(n) {
      refill();
      tokens -= n;
    },
    msUntilClaim() {
      refill();
      return tokens > 0 ? 0 : Math.max(1, Math.ceil((-tokens * 1000) / perSecond));
    },
  };
}
