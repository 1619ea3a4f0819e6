import type { Logger } from '../../../shared/logger.ts';
import type { LoopState } from './dispatcher-loop-state.ts';
import { MAX_CLAIM_BACKOFF_MS } from './dispatcher-outcomes.ts';

/**
 * The CRM dispatcher's lost claims (crm-dispatcher.ts): a claim or a hand-over whose transaction failed with the
 * connection may have committed claims whose answer never arrived (`loop.orphansPossible`). Nothing else touches them
 * until their lease runs out, so they are released: by the claim loop before its next claim (`once`), or, in a
 * process that only hands over and runs no claim loop, at once and again after a back-off until it succeeds
 * (`whileHandingOver`).
 */
export function createOrphanRelease(deps: {
  loop: LoopState;
  /** releases this process's claims on deliveries other than `keep` (those it holds) */
  release(keep: readonly string[]): Promise<number>;
  holding(): readonly string[];
  /** waits `ms`, woken only by `stop` */
  pause(ms: number): Promise<void>;
  gate: (key: string, fn: () => void) => void;
  log: Logger;
}) {
  const { loop } = deps;

  /** Releases them; false when that failed (the back-off grew: retry after it). */
  async function once(): Promise<boolean> {
    try {
      loop.orphansPossible = false;
      const released = await deps.release(deps.holding());
      if (released > 0) deps.log.info({ count: released }, 'released CRM claims whose answer was lost with the connection');
      return true;
    } catch (error) {
      loop.orphansPossible = true;
      loop.claimBackoffMs = Math.min(Math.max(loop.claimBackoffMs * 2, 100), MAX_CLAIM_BACKOFF_MS);
      deps.gate('orphans', () => deps.log.warn({ err: error }, 'releasing lost CRM claims failed; retrying'));
      return false;
    }
  }

  /** Handing over only: releases them now, in the place of the claim loop (`loop.run`), until it succeeds or stops. */
  function whileHandingOver(): void {
    if (loop.claiming || loop.run) return;
    loop.run = (async () => {
      while (loop.running && loop.orphansPossible) {
        if (!(await once()) && loop.running) await deps.pause(loop.claimBackoffMs);
      }
      loop.claimBackoffMs = 0;
      loop.run = null;
    })();
  }

  return { once, whileHandingOver };
}

export type OrphanRelease = ReturnType<typeof createOrphanRelease>;
