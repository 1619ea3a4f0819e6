import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { createAccount } from '../../../test/factories.ts';
import { messages, processes, realtimeEvents } from '../../db/schema/index.ts';
import { createConversation, createMessage } from '../delivery/crm-test-helpers.ts';

/**
 * A send cut off by its process's death: Meta may or may not have the message, so it is never re-sent blindly. It
 * becomes `unknown` within seconds of the process going silent, and the settlement finds out from Meta later.
 */
describe('sends interrupted by a process that stopped', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  async function sendingBy(processId: string) {
    const account = await createAccount(t.database.db);
    const { conversation } = await createConversation(t.database.db, account.id);
    const message = await createMessage(t.database.db, account.id, conversation.id, { direction: 'outbound' });
    await t.database.db.update(messages).set({ status: 'sending', sendingBy: processId }).where(eq(messages.id, message.id));
    return message.id;
  }
  const statusOf = async (id: string) => (await t.database.db.select().from(messages).where(eq(messages.id, id)))[0];

  it('become unknown once their process stops beating, and the inbox hears of it', async () => {
    const dead = randomUUID();
    await t.database.db.insert(processes).values({ id: dead, role: 'workers', host: 'elsewhere', pid: 1, heartbeatAt: sql`now() - interval '30 seconds'` });
    const id = await sendingBy(dead);
    expect(await t.services.sendRecovery.run(5_000)).toBe(1);
    expect(await statusOf(id)).toMatchObject({ status: 'unknown', sendingBy: null, errorMessage: 'The send was interrupted; waiting for confirmation.' });
    const events = await t.database.db.select().from(realtimeEvents);
    expect(events.some((e) => e.type === 'message.updated' && e.payload.message_id === id)).toBe(true);
  });

  it('stay as they are while their process beats', async () => {
    const live = randomUUID();
    await t.database.db.insert(processes).values({ id: live, role: 'workers', host: 'elsewhere', pid: 2 });
    const id = await sendingBy(live);
    expect(await t.services.sendRecovery.run(5_000)).toBe(0);
    expect((await statusOf(id))?.status).toBe('sending');
    // a process that stops gracefully leaves the registry: at once
    await t.database.db.delete(processes).where(eq(processes.id, live));
    expect(await t.services.sendRecovery.run(5_000)).toBe(1);
    expect((await statusOf(id))?.status).toBe('unknown');
  });
});
