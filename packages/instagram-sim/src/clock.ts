/**
 * The simulator's clock. Simulated time runs with real time plus an offset; the control API moves it forward
 * (so 24-hour windows and 60-day tokens can be tested in seconds) or freezes it (so rate-limit windows hold still).
 */
export interface Clock {
  now(): number;
  advance(ms: number): number;
  set(epochMs: number): number;
  freeze(): void;
  unfreeze(): void;
  isFrozen(): boolean;
  reset(): void;
}

export interface ClockOptions {
  /** Start the simulated clock at this epoch ms (default: real now). */
  start?: number;
  frozen?: boolean;
  /** The real time source; tests of the clock itself pass their own. */
  realNow?: () => number;
}

export function createClock(options: ClockOptions = {}): Clock {
  const realNow = options.realNow ?? Date.now;
  let offset = 0;
  let frozenAt: number | null = null;
  const init = (): void => {
    offset = options.start === undefined ? 0 : options.start - realNow();
    frozenAt = options.frozen ? realNow() + offset : null;
  };
  init();
  const now = (): number => frozenAt ?? realNow() + offset;
  return {
    now,
    advance(ms) {
      if (frozenAt !== null) frozenAt += ms;
      else offset += ms;
      return now();
    },
    set(epochMs) {
      if (frozenAt !== null) frozenAt = epochMs;
      else offset = epochMs - realNow();
      return now();
    },
    freeze() {
      if (frozenAt === null) frozenAt = now();
    },
    unfreeze() {
      if (frozenAt === null) return;
      offset = frozenAt - realNow();
      frozenAt = null;
    },
    isFrozen: () => frozenAt !== null,
    reset: init,
  };
}
