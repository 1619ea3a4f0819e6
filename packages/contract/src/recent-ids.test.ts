import { describe, expect, it } from 'vitest';
import { createRecentIds } from './recent-ids.ts';

describe('recent ids', () => {
  it('meets each id once, remembers it for at least a generation of later ids, then forgets it', () => {
    const ids = createRecentIds(3);
    expect([1, 2, 1, 3].map((id) => ids.firstSight(id))).toEqual([true, true, false, true]);
    expect([4, 5, 6].map((id) => ids.firstSight(id))).toEqual([true, true, true]);
    expect(ids.firstSight(4)).toBe(false); // three later ids, still remembered
    expect(ids.firstSight(7)).toBe(true); // a new generation starts: 1-3 are dropped
    expect(ids.firstSight(1)).toBe(true);
  });
});
