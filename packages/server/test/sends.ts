import { inArray } from 'drizzle-orm';
import { messages } from '../src/db/schema/index.ts';
import { jobs } from '../src/jobs/registry.ts';
import type { TestApp } from './app.ts';

/**
 * Runs the waiting sends until none is queued or being sent (by a worker that took its job first), giving up on
 * sends that stay queued for about 2.5 s (a rate limit, a retry later); then the webhooks they caused are processed.
 */
export async function drainSends(t: TestApp): Promise<void> {
  for (let round = 0; round < 60; round += 1) {
    const ran = await t.queue.runPending(jobs.messagesSend);
    const [waiting] = await t.database.db.select({ id: messages.id }).from(messages).where(inArray(messages.status, ['queued', 'sending'])).limit(1);
    if (ran === 0 && (!waiting || round > 25)) break;
    if (ran === 0) await new Promise((r) => setTimeout(r, 100));
  }
  await t.services.webhookProcessor.runUntilIdle();
}
