/**
 * A memory of the ids of live-update events met lately, so each is handed on once (the server's hub and the browser's
 * stream both drop repeats with it). It keeps two generations of `perGeneration` ids, so forgetting the oldest is
 * dropping a set, not deleting ids one by one; an id is remembered for at least `perGeneration` later ids.
 */
export function createRecentIds(perGeneration: number) {
  let now = new Set<number>();
  let before = new Set<number>();
  return {
    /** Whether `id` was met lately (without remembering it). */
    seen(id: number): boolean {
      return now.has(id) || before.has(id);
    },
    /** True the first time `id` is met (and remembers it); false for an id met lately. */
    firstSight(id: number): boolean {
      if (now.has(id) || before.has(id)) return false;
      if (now.size >= perGeneration) {
        before = now;
        now = new Set();
      }
      now.add(id);
      return true;
    },
  };
}
