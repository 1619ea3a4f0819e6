import { eq } from 'drizzle-orm';
import { messages } from '../src/db/schema/index.ts';
import { jobs } from '../src/jobs/registry.ts';
import type { TestApp } from './app.ts';

/**
 * Runs the waiting sends until none is queued or being sent, then processes the webhooks they caused. A send that a
 * worker took first is waited for while it is under way (on a loaded machine that can take seconds); sends that stay
 * queued for about 2.5 s (a rate limit, a retry later) are given up on. Bounded at about 10 s in all.
 */
export async function drainSends(t: TestApp): Promise<void> {
  const any = async (status: 'queued' | 'sending') =>
    (await t.database.db.select({ id: messages.id }).from(messages).where(eq(messages.status, status)).limit(1)).length > 0;
  for (let round = 0; round < 100; round += 1) {
    const ran = await t.queue.runPending(jobs.messagesSend);
    if (ran > 0) continue;
    if (await any('sending')) {
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    if (!(await any('queued')) || round > 25) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await t.services.webhookProcessor.runUntilIdle();
}
