/**
 * The CRM dispatcher's retry timer (`wakeAt`): it looks for due deliveries when the earliest retry this process wrote
 * comes due, so those retries are not left to the poll. One timer, for the earliest time asked for.
 */
export function createRetryTimer(onDue: () => void) {
  /** the earliest retry asked for, and the timer that looks for it when it is due */
  let due: { at: number; timer: NodeJS.Timeout } | null = null;

  return {
    /** Calls `onDue` once `at` has passed, unless an earlier time is set already. */
    wakeAt(at: Date): void {
      const when = at.getTime();
      if (due && due.at <= when) return;
      if (due) clearTimeout(due.timer);
      // A timer may fire a millisecond before the wall clock reaches `when`: a claim then would find the retry not
      // due yet, and nothing else would look for it until the poll. So it fires just after, and checks.
      const arm = () => {
        const timer = setTimeout(() => {
          if (Date.now() < when) {
            arm();
            return;
          }
          due = null;
          onDue();
        }, Math.max(0, when - Date.now()) + 1);
        due = { at: when, timer };
      };
      arm();
    },
    clear(): void {
      if (due) clearTimeout(due.timer);
      due = null;
    },
  };
}
