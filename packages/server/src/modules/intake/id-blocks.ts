import type { Db } from '../../db/client.ts';

/**
 * How many ids are taken from a sequence at a time: the rest are kept for the next batches of this process, so a
 * batch of a few POSTs seldom spends a statement on its ids (bench:crm at 200 events/s: a batch of 6 took one of its
 * twelve round trips for them). Ids kept and never used are gaps, as a rolled-back insert leaves.
 */
const ID_BLOCK = 64;

/**
 * Ids for rows a process inserts with ids of its own choosing (`webhook-events.repository.ts` `allocateIds`), taken
 * from the sequence `ID_BLOCK` at a time by `fetch` (in the caller's transaction: `nextval` is not rolled back).
 */
export function createIdBlocks(fetch: (tx: Db, n: number) => Promise<number[]>) {
  /** taken and not used yet, ascending */
  let spare: number[] = [];
  return {
    /** `n` ids, ascending: the smallest of those kept, or new ones. */
    async take(tx: Db, n: number): Promise<number[]> {
      if (n === 0) return [];
      if (spare.length < n) {
        const fetched = await fetch(tx, Math.max(ID_BLOCK, n - spare.length));
        // two batches may take more at once: whichever answer comes first, the ids stay in order
        spare = [...spare, ...fetched].sort((a, b) => a - b);
      }
      return spare.splice(0, n);
    },
  };
}
