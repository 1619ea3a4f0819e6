/**
 * The CRM dispatcher's claim loop state (crm-dispatcher.ts): whether it runs, what wakes it, and what the last claim
 * found. One object, declared and started here, so each field says once what it means.
 */
export type LoopState = {
  running: boolean;
  /**
   * It claims due deliveries (`start`). Started with `startHandingOver` (`serve --no-workers`) it does not: it only
   * sends what this process's writers hand over, and the worker processes claim everything else.
   */
  claiming: boolean;
  run: Promise<void> | null;
  wake: (() => void) | null;
  stopWake: (() => void) | null;
  /** something happened since the loop last claimed (a slot freed, a poke): look again before sleeping */
  kicked: boolean;
  /** the last claim found due deliveries */
  foundSome: boolean;
  pokeTimer: NodeJS.Timeout | null;
  /**
   * A claim or a hand-over failed with the connection: the database may have committed claims whose answer never
   * arrived. Before the next claim, those are released (nothing else would touch them until their lease ran out).
   */
  orphansPossible: boolean;
  /** the last claim found fewer due deliveries than it had room for: nothing older waits (but see `lookDue`) */
  caughtUp: boolean;
  /**
   * A claim is due or under way (a poke for deliveries written unclaimed, a slot freed at an endpoint at its cap,
   * a backlog): older deliveries may be waiting, so new ones are not handed over past them until it has run.
   */
  lookDue: boolean;
  /** while claims fail (the database is away), the loop waits longer between them, up to MAX_CLAIM_BACKOFF_MS */
  claimBackoffMs: number;
};

export function createLoopState(): LoopState {
  return {
    running: false,
    claiming: false,
    run: null,
    wake: null,
    stopWake: null,
    kicked: false,
    foundSome: false,
    pokeTimer: null,
    orphansPossible: false,
    caughtUp: false,
    lookDue: true,
    claimBackoffMs: 0,
  };
}

/** Waits `ms`, or less when woken (a poke, a freed slot: `loop.wake`) if `wakeable`; `stop` always wakes it. */
export function pauseLoop(loop: LoopState, ms: number, wakeable = true): Promise<void> {
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
