/**
 * The CRM dispatcher's retry timer (`wakeAt`): it looks for due deliveries when a retry this process wrote comes
 * due, and when a failing endpoint may be probed again, so neither is left to the poll. One timer, armed for the
 * earliest of the times asked for; the later ones wait their turn (at most MAX_TIMES of them: the poll finds the rest).
 */
const MAX_TIMES = 64;

export function createRetryTimer(onDue: () => void) {
  /** the times asked for, earliest first, without repeats */
  const times: number[] = [];
  /** the timer armed for times[0] */
  let armed: { at: number; timer: NodeJS.Timeout } | null = null;

  const arm = () => {
    const at = times[0];
    if (at === undefined) return;
    if (armed?.at === at) return;
    if (armed) clearTimeout(armed.timer);
    // A timer may fire a millisecond before the wall clock reaches `at`: a claim then would find the retry not
    // due yet, and nothing else would look for it until the poll. So it fires just after, and checks.
    const timer = setTimeout(() => {
      armed = null;
      const now = Date.now();
      if (now < at) {
        arm();
        return;
      }
      while (times.length > 0 && (times[0] as number) <= now) times.shift();
      onDue();
      arm();
    }, Math.max(0, at - Date.now()) + 1);
    armed = { at, timer };
  };

  return {
    /** Calls `onDue` once `at` has passed (once for several times that pass together). */
    wakeAt(at: Date): void {
      const when = at.getTime();
      let i = 0;
      while (i < times.length && (times[i] as number) < when) i += 1;
      if (times[i] === when || i >= MAX_TIMES) return;
      times.splice(i, 0, when);
      if (times.length > MAX_TIMES) times.pop();
      arm();
    },
    clear(): void {
      if (armed) clearTimeout(armed.timer);
      armed = null;
      times.length = 0;
    },
  };
}
