import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/db.ts';
import type { Database } from '../../db/client.ts';
import { createSendRateLimiter, MAX_SEND_WAIT_MS, sendSpacingMs } from './send-rate-limiter.ts';

describe('send rate limiter', () => {
  let database: Database;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database.close());

  /** Takes `n` turns at instants `at(i)`; answers when each granted call goes out (now + wait) and the refusals. */
  async function take(limiter: ReturnType<typeof createSendRateLimiter>, accountId: string, n: number, at: (i: number) => number, kind: 'text' | 'media' = 'text') {
    const sent: number[] = [];
    const refused: { at: number; retryInMs: number }[] = [];
    for (let i = 0; i < n; i += 1) {
      const now = at(i);
      const slot = await limiter.acquire(accountId, kind, new Date(now));
      if (slot.ok) sent.push(now + slot.waitMs);
      else refused.push({ at: now, retryInMs: slot.retryInMs });
    }
    return { sent, refused };
  }

  /** The most calls in any window of `width` ms, wherever it starts (Meta's one-second windows are its own). */
  function busiestWindow(times: number[], width: number): number {
    const sorted = [...times].sort((a, b) => a - b);
    let best = 0;
    for (let i = 0, j = 0; i < sorted.length; i += 1) {
      while ((sorted[i] ?? 0) - (sorted[j] ?? 0) >= width) j += 1;
      best = Math.max(best, i - j + 1);
    }
    return best;
  }

  it('never lets more than the limit out in any second, however the seconds are cut, even with 100 ms of jitter', async () => {
    const limiter = createSendRateLimiter(database.db, { textPerSecond: 100, mediaPerSecond: 10 });
    const accountId = randomUUID();
    const start = Date.UTC(2026, 0, 1, 0, 0, 0, 900); // a burst right at the turn of a second
    // 400 calls asked for within 2 s (200/s, twice the limit)
    const { sent, refused } = await take(limiter, accountId, 400, (i) => start + i * 5);
    expect(sent.length).toBeGreaterThan(100);
    expect(busiestWindow(sent, 1000)).toBeLessThanOrEqual(100);
    // a call that leaves on time but travels up to 100 ms longer than the one before it still fits
    expect(busiestWindow(sent, 1100)).toBeLessThanOrEqual(100);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect(r.retryInMs).toBeGreaterThan(0);

    const media = await take(limiter, accountId, 40, (i) => start + i * 10, 'media');
    expect(busiestWindow(media.sent, 1100)).toBeLessThanOrEqual(10);
    expect(media.sent.length).toBeGreaterThanOrEqual(9);
  });

  it('gives each call its own turn, spaced out, and never keeps a caller waiting longer than it allows', async () => {
    const limiter = createSendRateLimiter(database.db, { textPerSecond: 2, mediaPerSecond: 1 });
    const accountId = randomUUID();
    const now = Date.UTC(2026, 0, 1, 12, 0, 0, 0);
    const spacing = sendSpacingMs(2);
    const first = await limiter.acquire(accountId, 'text', new Date(now));
    const second = await limiter.acquire(accountId, 'text', new Date(now));
    const third = await limiter.acquire(accountId, 'text', new Date(now));
    expect(first).toEqual({ ok: true, waitMs: 0 });
    expect(second).toEqual({ ok: true, waitMs: spacing });
    expect(spacing).toBeLessThanOrEqual(MAX_SEND_WAIT_MS);
    // its turn would be 2 × spacing away, more than a caller waits: it takes nothing and is told when to come back
    expect(third.ok).toBe(false);
    if (third.ok) return;
    expect(third.retryInMs).toBeGreaterThanOrEqual(2 * spacing - MAX_SEND_WAIT_MS);
    // coming back then, it gets the turn the refusal did not take
    const later = await limiter.acquire(accountId, 'text', new Date(now + third.retryInMs));
    expect(later.ok).toBe(true);
    if (later.ok) expect(now + third.retryInMs + later.waitMs).toBe(now + 2 * spacing);
    // another account, and media of the same account, have turns of their own
    expect(await limiter.acquire(randomUUID(), 'text', new Date(now))).toEqual({ ok: true, waitMs: 0 });
    expect(await limiter.acquire(accountId, 'media', new Date(now))).toEqual({ ok: true, waitMs: 0 });
    // after a quiet spell the next call goes at once
    expect(await limiter.acquire(accountId, 'text', new Date(now + 60_000))).toEqual({ ok: true, waitMs: 0 });
  });
});
