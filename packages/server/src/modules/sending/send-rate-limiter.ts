import type { Db } from '../../db/client.ts';
import { createSendTurnsRepository } from './send-turns.repository.ts';

export type SendKind = 'text' | 'media';

/** Extra room between two calls: Meta's windows are its own, and a call reaches it some milliseconds after it left. */
const SPACING = 1.15;
/** The longest a caller waits in place for its turn; a later turn is not taken, and the caller tries again later. */
export const MAX_SEND_WAIT_MS = 1_000;

/** Milliseconds between two calls of an account for a limit of `perSecond` calls per second. */
export function sendSpacingMs(perSecond: number): number {
  return Math.ceil((1000 / perSecond) * SPACING);
}

/**
 * Meta's per-account Send API limits (100 calls/s for text, links, reactions and stickers; 10/s for audio and
 * video). Meta counts the calls that reach it in one-second windows of its own clock; counting ours instead (calls
 * started in each of Threadline's seconds) let 100 calls at the end of one second and 100 at the start of the next
 * land in one of Meta's windows, which answers 613 and asks for a minute's pause.
 *
 * So an account's calls are spaced out: each takes the next free turn, 1/limit s × 1.15 after the one before, in the
 * database (`rate_limit_counters`, the row's `reset_at` is when the next turn is free; its `count` means nothing
 * here), so every process shares the turns. Any one-second window, wherever it begins, even with up to 100 ms of
 * jitter on the way, then holds at most `limit` calls. Each process reads its own clock: processes on several hosts
 * need their clocks in step (NTP), or a clock ahead of the others takes turns they already hold. A caller whose turn
 * is less than MAX_SEND_WAIT_MS away takes it and waits for it (`waitMs`); one further away takes nothing and is told
 * when to try again: a burst is queued, never failed.
 */
export function createSendRateLimiter(db: Db, limits: { textPerSecond: number; mediaPerSecond: number }) {
  const turns = createSendTurnsRepository(db);
  return {
    async acquire(accountId: string, kind: SendKind, now = new Date()): Promise<{ ok: true; waitMs: number } | { ok: false; retryInMs: number }> {
      const spacing = sendSpacingMs(kind === 'media' ? limits.mediaPerSecond : limits.textPerSecond);
      const key = `send:${kind}:${accountId}`;
      const at = now.getTime();
      const taken = await turns.take(key, new Date(at + spacing).toISOString(), now.toISOString(), spacing, new Date(at + MAX_SEND_WAIT_MS).toISOString());
      if (taken !== undefined) return { ok: true, waitMs: Math.max(0, taken - spacing - at) };
      const free = (await turns.nextFree(key)) ?? at;
      return { ok: false, retryInMs: Math.max(0, free - MAX_SEND_WAIT_MS - at) + Math.floor(Math.random() * 100) + 1 };
    },
  };
}
export type SendRateLimiter = ReturnType<typeof createSendRateLimiter>;
