import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../../../test/app.ts';
import { createSimWorld, type SimWorld } from '../../../test/sim-world.ts';
import { accounts, messages } from '../../db/schema/index.ts';
import { jobs } from '../../jobs/registry.ts';

/** Each documented Send API error, as the simulator answers it, and what becomes of the message. */
const CASES = [
  { name: 'outside the window (10/2534022)', fault: { code: 10, subcode: 2534022 }, status: 'failed' },
  { name: 'outside the window, other subcode (10/2018278)', fault: { code: 10, subcode: 2018278 }, status: 'failed' },
  { name: 'recipient unavailable (551)', fault: { code: 551 }, status: 'failed' },
  { name: 'blocked (200/1545041)', fault: { code: 200, subcode: 1545041 }, status: 'failed' },
  { name: 'no matching user (100/2018001)', fault: { code: 100, subcode: 2018001 }, status: 'failed' },
  { name: 'not an IGSID (100/2534014)', fault: { code: 100, subcode: 2534014 }, status: 'failed' },
  { name: 'invalid message data (100/2534015)', fault: { code: 100, subcode: 2534015 }, status: 'failed' },
  { name: 'thread owned by another app (100/2534037)', fault: { code: 100, subcode: 2534037 }, status: 'failed' },
  { name: 'throttled by the app limit (4)', fault: { code: 4, transient: true }, status: 'queued', paused: true },
  { name: 'throttled by the user limit (17)', fault: { code: 17, transient: true }, status: 'queued', paused: true },
  { name: 'throttled by the page limit (32)', fault: { code: 32, transient: true }, status: 'queued', paused: true },
  { name: 'Instagram rate limit (613/2534040)', fault: { code: 613, subcode: 2534040, transient: true }, status: 'queued', paused: true },
  { name: 'temporary error (1)', fault: { code: 1, transient: true }, status: 'queued' },
  { name: 'server error (HTTP 503)', fault: null, status: 'queued', httpStatus: 503 },
] as const;

describe('what each Meta error does to a queued message', () => {
  let w: SimWorld;
  beforeAll(async () => {
    w = await createSimWorld();
  });
  afterAll(async () => w.close());

  for (const c of CASES) {
    it(`${c.name}: ${c.status === 'failed' ? 'fails at once with the code' : 'stays queued to be retried'}${'paused' in c ? ', pausing the account' : ''}`, async () => {
      await w.t.database.db.update(accounts).set({ sendPausedUntil: null }).where(eq(accounts.id, w.accountId));
      const conv = await w.customerWrites();
      await w.control.clearFaults();
      if (c.fault) await w.control.injectFault({ type: 'error', ...c.fault, match: { method: 'POST', pathIncludes: '/messages' } });
      else await w.control.injectFault({ type: 'status', httpStatus: c.httpStatus, match: { method: 'POST', pathIncludes: '/messages' } });
      const res = await w.t.app.inject({ method: 'POST', url: `/api/v1/ui/conversations/${conv.conversationId}/messages`, headers: bearer(w.tokens.admin), payload: { text: c.name } });
      expect(res.statusCode).toBe(202);
      await w.t.queue.runPending(jobs.messagesSend);
      const [row] = await w.t.database.db.select().from(messages).where(eq(messages.id, res.json().id));
      expect(row?.status).toBe(c.status);
      if (c.status === 'failed' && c.fault) {
        expect(row?.errorCode).toBe(c.fault.code);
        if ('subcode' in c.fault) expect(row?.errorSubcode).toBe(c.fault.subcode);
      }
      const [account] = await w.t.database.db.select().from(accounts).where(eq(accounts.id, w.accountId));
      if ('paused' in c) expect(account?.sendPausedUntil?.getTime()).toBeGreaterThan(Date.now());
      expect(await w.control.outbox({ recipientId: conv.igsid })).toEqual([]);
      await w.control.clearFaults();
    });
  }

  it('queues a burst beyond the per-account limit instead of failing it', async () => {
    await w.t.database.db.update(accounts).set({ sendPausedUntil: null }).where(eq(accounts.id, w.accountId));
    // Calls are spaced 1/limit s × 1.15 apart and a caller waits at most a second for its turn: on a pinned clock the
    // first round can start at most two (at once and 575 ms later); the drain afterwards runs on the real clock.
    let pinned: Date | null = null;
    const limited = await createSimWorld({ SEND_RATE_TEXT_PER_SECOND: '2' }, { now: () => pinned ?? new Date() });
    try {
      const convs = [await limited.customerWrites(), await limited.customerWrites(), await limited.customerWrites(), await limited.customerWrites()];
      for (const conv of convs) {
        await limited.t.app.inject({ method: 'POST', url: `/api/v1/ui/conversations/${conv.conversationId}/messages`, headers: bearer(limited.tokens.admin), payload: { text: 'burst' } });
      }
      pinned = new Date();
      await limited.t.queue.runPending(jobs.messagesSend);
      pinned = null;
      const afterFirstRound = await limited.t.database.db.select({ status: messages.status }).from(messages).where(eq(messages.text, 'burst'));
      expect(afterFirstRound.filter((m) => m.status === 'sent').length).toBeLessThanOrEqual(2);
      expect(afterFirstRound.some((m) => m.status === 'failed')).toBe(false);
      await limited.drainSends();
      const done = await limited.t.database.db.select({ status: messages.status }).from(messages).where(eq(messages.text, 'burst'));
      expect(done.map((m) => m.status)).toEqual(['sent', 'sent', 'sent', 'sent']);
    } finally {
      await limited.close();
    }
  }, 180_000);
});
