import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { createAccount } from '../../../test/factories.ts';
import { messages } from '../../db/schema/index.ts';
import { createLogger } from '../../shared/logger.ts';
import { createConversation, createMessage } from '../delivery/crm-test-helpers.ts';
import { createSendJob } from './send-job.ts';

/**
 * A second job of a message whose attempt this process has under way (a retry of the first, a duplicate) must leave
 * the attempt alone, wherever it is: before Meta is called too (the account's state, the rate limiter's turn and the
 * client are read between the claim and the call). Taking it for an interrupted send would mark it `unknown` while
 * the first attempt goes on to send it.
 */
describe('a second job of a message whose attempt is under way', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('leaves it sending while the first attempt waits for its turn, and the first attempt sends it', async () => {
    const account = await createAccount(t.database.db);
    const { conversation } = await createConversation(t.database.db, account.id);
    const message = await createMessage(t.database.db, account.id, conversation.id, { direction: 'outbound' });
    await t.database.db
      .update(messages)
      .set({ status: 'queued', mid: null, request: { recipient: { id: '1234' }, message: { text: 'hello' } } })
      .where(eq(messages.id, message.id));

    // the first attempt stops at the rate limiter until the second job has run
    let releaseTurn = () => {};
    const turnAsked = Promise.withResolvers<void>();
    const turn = new Promise<void>((resolve) => {
      releaseTurn = resolve;
    });
    const sendJob = createSendJob({
      db: t.database.db,
      queue: t.queue,
      graphs: { forAccount: async () => ({ sendMessage: async () => ({ messageId: 'mid.sent-once' }) }) as never },
      accountStatus: t.services.accountStatus,
      limiter: {
        acquire: async () => {
          turnAsked.resolve();
          await turn;
          return { ok: true as const, waitMs: 0 };
        },
      },
      units: t.services.units,
      log: createLogger('silent', false),
      now: () => new Date(),
      outcomes: t.services.metrics.counter('test_duplicate_send_outcomes_total', 'test', ['outcome']),
      processId: randomUUID(),
      uploadLinks: t.services.uploadLinks,
      applyWaiting: async () => [],
    });
    const statusOf = async () => (await t.database.db.select().from(messages).where(eq(messages.id, message.id)))[0];

    const first = sendJob.run(message.id);
    await turnAsked.promise;
    expect((await statusOf())?.status).toBe('sending');
    await sendJob.run(message.id);
    expect(await statusOf()).toMatchObject({ status: 'sending', errorMessage: null });

    releaseTurn();
    await first;
    expect(await statusOf()).toMatchObject({ status: 'sent', mid: 'mid.sent-once' });
  });
});
