import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { createAccount } from '../../../test/factories.ts';
import { echo, envelope, event, inbound, META_ENV, mid, postSigned } from '../../../test/meta.ts';
import { messageReactions, messages, waitingEvents } from '../../db/schema/index.ts';

// Events about a message Threadline does not have wait for it, whichever way the message then arrives (§3.7).

describe('events waiting for their message', () => {
  let t: TestApp;
  let accountId: string;
  const IG = '17841400000004242';
  let seq = 7000;
  const customer = () => String((seq += 1));

  beforeAll(async () => {
    t = await createTestApp(META_ENV);
    await t.startWorkers();
    accountId = (await createAccount(t.database.db, { igUserId: IG })).id;
  });
  afterAll(async () => t.close());

  const deliver = async (body: unknown) => {
    expect((await postSigned(t, body)).statusCode).toBe(200);
    await t.services.webhookProcessor.runUntilIdle();
  };
  const byMid = async (m: string) => (await t.database.db.select().from(messages).where(and(eq(messages.accountId, accountId), eq(messages.mid, m))))[0];

  it('applies a reaction that came before Meta answered our send, once the answer gives the send its mid', async () => {
    const c = customer();
    await deliver(envelope(IG, [inbound(IG, c, 1_700_100_000_000, { mid: mid(), text: 'hi' })]));
    const conversationId = (await t.services.inboxRepo.findConversationByIgsid(accountId, c))?.conversation.id ?? '';
    const [ours] = await t.database.db
      .insert(messages)
      .values({ accountId, conversationId, direction: 'outbound', authorType: 'user', text: 'hello back', status: 'sending', sentAt: new Date(1_700_100_001_000) })
      .returning();
    const m = mid();
    await deliver(envelope(IG, [event(IG, c, 1_700_100_002_000, { reaction: { mid: m, action: 'react', emoji: '🙏' } })]));
    expect(await t.services.waitingEvents.waitingFor(accountId, m)).toHaveLength(1);
    if (!ours) throw new Error('no message');
    await t.services.sendJob.markSent(ours, m);
    const reactions = await t.database.db.select().from(messageReactions).where(eq(messageReactions.messageId, ours.id));
    expect(reactions).toMatchObject([{ reactor: 'contact', reaction: null, emoji: '🙏' }]);
  });

  it('keeps a seen receipt without sender for a message it does not have, and marks that message read when its echo comes', async () => {
    const c = customer();
    await deliver(envelope(IG, [inbound(IG, c, 1_700_200_000_000, { mid: mid(), text: 'hi' })]));
    const m = mid();
    await deliver({ object: 'instagram', entry: [{ id: IG, time: 1_700_200_005, messaging: [{ recipient: { id: IG }, timestamp: '1700200005', read: { mid: m } }] }] });
    const [waiting] = await t.services.waitingEvents.waitingFor(accountId, m);
    expect(waiting).toMatchObject({ kind: 'seen', conversationId: null });
    await deliver(envelope(IG, [echo(IG, c, 1_700_200_001_000, { mid: m, text: 'sent from the Instagram app' })]));
    expect(await byMid(m)).toMatchObject({ status: 'read', direction: 'outbound' });
    expect(await t.services.waitingEvents.waitingFor(accountId, m)).toEqual([]);
  });

  it('shows the edited text of a message whose edit came first, when the original arrives late', async () => {
    const c = customer();
    const m = mid();
    await deliver(envelope(IG, [event(IG, c, 1_700_300_005_000, { message_edit: { mid: m, text: 'the corrected text', num_edit: '1' } })]));
    await deliver(envelope(IG, [inbound(IG, c, 1_700_300_000_000, { mid: m, text: 'the first text' })]));
    expect(await byMid(m)).toMatchObject({ text: 'the corrected text', editCount: 1, editTextState: null });
    const conversation = await t.services.inboxRepo.findConversationByIgsid(accountId, c);
    expect(conversation?.conversation.lastMessagePreview).toBe('the corrected text');
  });

  it('settles what waited for a message on its unsend when the unsend comes before the message', async () => {
    const c = customer();
    const m = mid();
    await deliver(envelope(IG, [event(IG, c, 1_700_350_001_000, { reaction: { mid: m, action: 'react', reaction: 'love', emoji: '❤️' } })]));
    await deliver(envelope(IG, [event(IG, c, 1_700_350_002_000, { message_edit: { mid: m, text: 'edited, then unsent', num_edit: 1 } })]));
    expect(await t.services.waitingEvents.waitingFor(accountId, m)).toHaveLength(2);
    await deliver(envelope(IG, [inbound(IG, c, 1_700_350_003_000, { mid: m, is_deleted: true })]));
    expect(await t.services.waitingEvents.waitingFor(accountId, m)).toEqual([]);
    await deliver(envelope(IG, [inbound(IG, c, 1_700_350_000_000, { mid: m, text: 'the original' })]));
    const row = await byMid(m);
    expect(row).toMatchObject({ text: null });
    expect(row?.deletedAt).not.toBeNull();
    expect(await t.database.db.select().from(messageReactions).where(eq(messageReactions.messageId, row?.id ?? ''))).toMatchObject([{ reactor: 'contact', emoji: '❤️' }]);
  });

  it('forgets what waited longer than the retention of raw events', async () => {
    const c = customer();
    const m = mid();
    await deliver(envelope(IG, [event(IG, c, 1_700_400_000_000, { reaction: { mid: m, action: 'react', reaction: 'love', emoji: '❤️' } })]));
    await t.database.db.update(waitingEvents).set({ createdAt: new Date(Date.now() - 40 * 86_400_000) }).where(eq(waitingEvents.mid, m));
    expect(await t.services.waitingEvents.deleteOlderThan(new Date(Date.now() - 30 * 86_400_000))).toBe(1);
    expect(await t.services.waitingEvents.waitingFor(accountId, m)).toEqual([]);
  });
});
