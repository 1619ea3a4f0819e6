import { isConnectionError } from '../../../shared/db-errors.ts';
import { createGroupCommit } from '../../../shared/group-commit.ts';
import type { Logger } from '../../../shared/logger.ts';

/** while writes fail (the database is away), the dispatcher waits longer between tries, up to this */
export const MAX_CLAIM_BACKOFF_MS = 2_000;

/** How long an outcome waits for others to be written with it (group-commit.ts `gatherMs`). */
const OUTCOME_GATHER_MS = 10;

/**
 * The CRM dispatcher's outcome writer: outcomes go to the database by group commit (the outcomes that finish while
 * one write is under way go together in the next), and one bad outcome must not keep the others' claims until
 * their leases run out, so a failed batch is written one by one.
 */
export function createOutcomeWriter<Outcome>(deps: {
  record(outcomes: Outcome[]): Promise<void>;
  log: Logger;
  gate: (key: string, fn: () => void) => void;
  /** the dispatcher is running: a stopped one stops retrying */
  running(): boolean;
}) {
  const outcomes = createGroupCommit({
    write: async (batch: Outcome[]) => {
      await deps.record(batch);
      return batch.map(() => undefined);
    },
    maxBatch: 500,
    // the CRM has its event by now: a short wait lets the answers to one round's hand-over go in one statement
    // (bench:crm at 500 events/s: about ten outcomes a statement without it)
    gatherMs: OUTCOME_GATHER_MS,
    retrySingly: (error) => !isConnectionError(error),
    onBatchError: (error, count) => deps.log.error({ err: error, count }, 'writing a batch of CRM outcomes failed; writing them one by one'),
  });

  return {
    /**
     * Writes an attempt's outcome. While the database cannot be reached it is kept and written again with capped
     * back-off: this process is alive, so its claim stands, and the delivery is not sent twice. (Were the process to
     * stop meanwhile, its claims end with it and another process sends them again: the CRM deduplicates on
     * `webhook-id`.) Any other failure is logged; the claim then runs out and the attempt is made again.
     */
    async submit(outcome: Outcome): Promise<void> {
      let delay = 100;
      for (;;) {
        try {
          await outcomes.submit(outcome);
          return;
        } catch (error) {
          if (!isConnectionError(error)) {
            deps.log.error({ err: error }, 'writing a CRM outcome failed; its claim runs out and the attempt is made again');
            return;
          }
          if (!deps.running()) return;
          deps.gate('outcome', () => deps.log.warn({ err: error }, 'writing CRM outcomes failed (the database is unreachable); retrying'));
          await new Promise((resolve) => setTimeout(resolve, delay));
          delay = Math.min(delay * 2, MAX_CLAIM_BACKOFF_MS);
        }
      }
    },
    idle: () => outcomes.idle(),
  };
}
