import { and, asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { createAccount } from '../../../test/factories.ts';
import { echo, envelope, event, inbound, META_ENV, mid, postSigned } from '../../../test/meta.ts';
import { queryRows } from '../../db/client.ts';
import { contacts, conversations, messageReactions, messages } from '../../db/schema/index.ts';

describe('turning Meta webhooks into the inbox', () => {
  let t: TestApp;
  let accountId: string;
  const IG = '17841400000000777';
  let customerSeq = 5000;
  const customer = () => String((customerSeq += 1));

  beforeAll(async () => {
    t = await createTestApp(META_ENV);
    await t.startWorkers();
    accountId = (await createAccount(t.database.db, { igUserId: IG })).id;
  });
  afterAll(async () => t.close());

  const deliver = async (body: unknown) => {
    const res = await postSigned(t, body);
    expect(res.statusCode).toBe(200);
    await t.services.webhookProcessor.runUntilIdle();
  };
  const messagesOf = (igsid: string) =>
    t.database.db
      .select({ m: messages })
      .from(messages)
      .innerJoin(conversations, eq(conversations.id, messages.conversationId))
      .innerJoin(contacts, eq(contacts.id, conversations.contactId))
      .where(and(eq(contacts.igsid, igsid), eq(contacts.accountId, accountId)))
      .orderBy(asc(messages.sentAt))
      .then((rows) => rows.map((r) => r.m));
  const conversationOf = async (igsid: string) => {
    const [row] = await t.database.db
      .select({ c: conversations })
      .from(conversations)
      .innerJoin(contacts, eq(contacts.id, conversations.contactId))
      .where(and(eq(contacts.igsid, igsid), eq(contacts.accountId, accountId)));
    return row?.c;
  };

  it('stores a text message with its contact and conversation', async () => {
    const c = customer();
    const m = mid();
    await deliver(envelope(IG, [inbound(IG, c, 1_700_000_000_000, { mid: m, text: 'Hello there' })]));
    const [stored] = await messagesOf(c);
    expect(stored).toMatchObject({ mid: m, text: 'Hello there', direction: 'inbound', authorType: 'contact', status: 'received' });
    expect(stored?.sentAt.getTime()).toBe(1_700_000_000_000);
    const conv = await conversationOf(c);
    expect(conv).toMatchObject({ unreadCount: 1, needsReply: true, lastMessagePreview: 'Hello there' });
    expect(conv?.lastInboundAt?.getTime()).toBe(1_700_000_000_000);
  });

  it('stores every event of a 1,000-event batch across several entries', async () => {
    const c1 = customer();
    const c2 = customer();
    const items1 = Array.from({ length: 500 }, (_, i) => inbound(IG, c1, 1_700_000_100_000 + i, { mid: mid(), text: `a${i}` }));
    const items2 = Array.from({ length: 500 }, (_, i) => inbound(IG, c2, 1_700_000_100_000 + i, { mid: mid(), text: `b${i}` }));
    await deliver({ object: 'instagram', entry: [{ id: IG, time: 1, messaging: items1 }, { id: IG, time: 2, messaging: items2 }] });
    expect((await messagesOf(c1)).length).toBe(500);
    expect((await messagesOf(c2)).length).toBe(500);
    expect((await conversationOf(c1))?.unreadCount).toBe(500);
  });

  it('stores nothing twice when the same batch arrives three times at once', async () => {
    const c = customer();
    const batch = envelope(IG, Array.from({ length: 50 }, (_, i) => inbound(IG, c, 1_700_000_200_000 + i, { mid: mid(), text: `x${i}` })));
    const results = await Promise.all([postSigned(t, batch), postSigned(t, batch), postSigned(t, batch)]);
    expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    await Promise.all([t.services.webhookProcessor.runUntilIdle(), t.services.webhookProcessor.runUntilIdle()]);
    expect((await messagesOf(c)).length).toBe(50);
    const convs = await t.database.db.select().from(contacts).where(and(eq(contacts.igsid, c), eq(contacts.accountId, accountId)));
    expect(convs).toHaveLength(1);
    expect((await conversationOf(c))?.unreadCount).toBe(50);
  });

  it('orders by Meta timestamp, not arrival: the newest message is the preview', async () => {
    const c = customer();
    await deliver(envelope(IG, [inbound(IG, c, 1_700_000_300_500, { mid: mid(), text: 'second' })]));
    await deliver(envelope(IG, [inbound(IG, c, 1_700_000_300_000, { mid: mid(), text: 'first' })]));
    expect((await messagesOf(c)).map((m) => m.text)).toEqual(['first', 'second']);
    expect((await conversationOf(c))?.lastMessagePreview).toBe('second');
  });

  it('keeps a tombstone when a message and its unsend arrive in reverse order', async () => {
    const c = customer();
    const m = mid();
    await deliver(envelope(IG, [inbound(IG, c, 1_700_000_400_100, { mid: m, is_deleted: true })]));
    await deliver(envelope(IG, [inbound(IG, c, 1_700_000_400_000, { mid: m, text: 'oops, private' })]));
    const rows = await messagesOf(c);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.deletedAt).not.toBeNull();
    expect(rows[0]?.text).toBeNull();
  });

  it('removes the content of a message unsent later, keeping a tombstone', async () => {
    const c = customer();
    const m = mid();
    await deliver(envelope(IG, [inbound(IG, c, 1_700_000_500_000, { mid: m, text: 'take this back' })]));
    await deliver(envelope(IG, [inbound(IG, c, 1_700_000_500_100, { mid: m, is_deleted: true })]));
    const [row] = await messagesOf(c);
    expect(row).toMatchObject({ text: null, attachments: [] });
    expect(row?.deletedAt).not.toBeNull();
    expect((await conversationOf(c))?.lastMessagePreview).toBe('Message unsent');
  });

  it('turns a message sent from the Instagram app (echo) into an outbound message by "Instagram app"', async () => {
    const c = customer();
    await deliver(envelope(IG, [inbound(IG, c, 1_700_000_600_000, { mid: mid(), text: 'question?' })]));
    await deliver(envelope(IG, [echo(IG, c, 1_700_000_600_100, { mid: mid(), text: 'answer from the phone' })]));
    const rows = await messagesOf(c);
    expect(rows[1]).toMatchObject({ direction: 'outbound', authorType: 'instagram_app', status: 'sent' });
    expect(await conversationOf(c)).toMatchObject({ needsReply: false, lastMessageDirection: 'outbound' });
  });

  it('updates, not duplicates, a message Threadline sent when its echo arrives', async () => {
    const c = customer();
    const m = mid();
    await deliver(envelope(IG, [inbound(IG, c, 1_700_000_700_000, { mid: mid(), text: 'hi' })]));
    const conv = await conversationOf(c);
    await t.database.db.insert(messages).values({
      accountId, conversationId: conv?.id ?? '', mid: m, direction: 'outbound', authorType: 'user', text: 'sent by us', status: 'unknown', sentAt: new Date(1_700_000_700_050),
    });
    await deliver(envelope(IG, [echo(IG, c, 1_700_000_700_060, { mid: m, text: 'sent by us' })]));
    const rows = await messagesOf(c);
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({ mid: m, authorType: 'user', status: 'sent' });
  });

  it('folds messages and echoes of one batch into each conversation by Meta time', async () => {
    const [a, b] = [customer(), customer()];
    await deliver(
      envelope(IG, [
        inbound(IG, a, 1_700_000_800_000, { mid: mid(), text: 'a asks' }),
        echo(IG, a, 1_700_000_800_100, { mid: mid(), text: 'answered from the phone' }),
        inbound(IG, a, 1_700_000_800_050, { mid: mid(), text: 'a asks again' }),
        echo(IG, b, 1_700_000_800_000, { mid: mid(), text: 'we write first' }),
        inbound(IG, b, 1_700_000_800_200, { mid: mid(), text: 'b answers' }),
      ]),
    );
    const convA = await conversationOf(a);
    expect(convA).toMatchObject({ unreadCount: 2, needsReply: false, lastMessageDirection: 'outbound', lastMessagePreview: 'answered from the phone' });
    expect(convA?.lastInboundAt?.getTime()).toBe(1_700_000_800_050);
    expect(convA?.lastMessageAt?.getTime()).toBe(1_700_000_800_100);
    const convB = await conversationOf(b);
    expect(convB).toMatchObject({ unreadCount: 1, needsReply: true, lastMessageDirection: 'inbound', lastMessagePreview: 'b answers' });
    expect((await messagesOf(b)).map((m) => [m.direction, m.authorType, m.status])).toEqual([
      ['outbound', 'instagram_app', 'sent'],
      ['inbound', 'contact', 'received'],
    ]);
  });

  it('keeps text and JSON exactly, quotes, backslashes, braces and emoji included', async () => {
    const c = customer();
    const tricky = 'a\\b "q" {x,y} NULL, \'s\' ünï 😀\nline two';
    const referral = { ref: 'ad "1"', source: 'ADS', type: 'OPEN_THREAD', ads_context_data: { ad_title: '{weird}\\' } };
    await deliver(
      envelope(IG, [
        inbound(IG, c, 1_700_000_810_000, { mid: mid(), text: tricky, referral }),
        echo(IG, c, 1_700_000_810_100, { mid: mid(), text: `${tricky} (echo)` }),
        inbound(IG, c, 1_700_000_810_200, { mid: mid(), attachments: [{ type: 'image', payload: { url: 'https://cdn.example/x.jpg?a=1&b="2"' } }] }),
      ]),
    );
    const rows = await messagesOf(c);
    expect(rows.map((m) => m.text)).toEqual([tricky, `${tricky} (echo)`, null]);
    expect(rows[0]?.referral).toEqual({ ref: 'ad "1"', source: 'ADS', type: 'OPEN_THREAD', adsContextData: { adTitle: '{weird}\\' } });
    expect(rows[2]?.attachments[0]).toMatchObject({ type: 'image', url: 'https://cdn.example/x.jpg?a=1&b="2"' });
  });

  it('gives the echo of a send still waiting for its answer to that send, even in a batch with other messages', async () => {
    const c = customer();
    await deliver(envelope(IG, [inbound(IG, c, 1_700_000_820_000, { mid: mid(), text: 'hi' })]));
    const conv = await conversationOf(c);
    const [pending] = await t.database.db
      .insert(messages)
      .values({ accountId, conversationId: conv?.id ?? '', direction: 'outbound', authorType: 'user', text: 'our answer', status: 'unknown', sentAt: new Date(1_700_000_820_050) })
      .returning({ id: messages.id });
    const m = mid();
    await deliver(
      envelope(IG, [
        echo(IG, c, 1_700_000_820_060, { mid: m, text: 'our answer' }),
        inbound(IG, c, 1_700_000_820_070, { mid: mid(), text: 'thanks' }),
        echo(IG, customer(), 1_700_000_820_080, { mid: mid(), text: 'another conversation' }),
      ]),
    );
    const rows = await messagesOf(c);
    expect(rows.map((r) => [r.id === pending?.id, r.mid === m, r.status])).toEqual([
      [false, false, 'received'],
      [true, true, 'sent'],
      [false, false, 'received'],
    ]);
  });

  it('stores attachments given as a list or as a single object, story mentions and replies', async () => {
    const c = customer();
    await deliver(
      envelope(IG, [
        inbound(IG, c, 1_700_000_800_000, { mid: mid(), attachments: [{ type: 'image', payload: { url: 'https://cdn.example/a.jpg' } }] }),
        inbound(IG, c, 1_700_000_800_001, { mid: mid(), attachments: { type: 'story_mention', payload: { url: 'https://cdn.example/s.mp4' } } }),
        inbound(IG, c, 1_700_000_800_002, { mid: mid(), text: 'nice story', reply_to: { story: { url: 'https://cdn.example/st', id: '77' } } }),
        inbound(IG, c, 1_700_000_800_003, { mid: mid(), attachments: [{ type: 'ig_reel', payload: { url: 'https://cdn.example/r', title: 'reel' } }] }),
      ]),
    );
    const rows = await messagesOf(c);
    expect(rows.map((r) => r.kind)).toEqual(['image', 'story_mention', 'story_reply', 'ig_reel']);
    expect(rows[0]?.attachments[0]).toMatchObject({ type: 'image', url: 'https://cdn.example/a.jpg' });
    expect(rows[2]?.replyToStory).toEqual({ url: 'https://cdn.example/st', id: '77' });
    expect((await conversationOf(c))?.lastInboundAt?.getTime()).toBe(1_700_000_800_003);
  });

  it('stores reactions and unreactions, quick replies, edits, postbacks and referrals', async () => {
    const c = customer();
    const m = mid();
    await deliver(envelope(IG, [inbound(IG, c, 1_700_000_900_000, { mid: m, text: 'pick one', quick_reply: { payload: 'BLUE' } })]));
    await deliver(envelope(IG, [event(IG, c, 1_700_000_900_100, { reaction: { mid: m, action: 'react', reaction: 'love', emoji: '❤️' } })]));
    const [target] = await messagesOf(c);
    expect(target?.quickReplyPayload).toBe('BLUE');
    let reactions = await t.database.db.select().from(messageReactions).where(eq(messageReactions.messageId, target?.id ?? ''));
    expect(reactions).toMatchObject([{ reactor: 'contact', reaction: 'love', emoji: '❤️' }]);
    await deliver(envelope(IG, [event(IG, c, 1_700_000_900_200, { reaction: { mid: m, action: 'unreact' } })]));
    reactions = await t.database.db.select().from(messageReactions).where(eq(messageReactions.messageId, target?.id ?? ''));
    expect(reactions).toEqual([]);

    await deliver(envelope(IG, [event(IG, c, 1_700_000_900_300, { message_edit: { mid: m, text: 'pick two', num_edit: 1 } })]));
    await deliver(envelope(IG, [event(IG, c, 1_700_000_900_400, { postback: { mid: mid(), title: 'Get started', payload: 'START' } })]));
    await deliver(envelope(IG, [event(IG, c, 1_700_000_900_500, { referral: { ref: 'summer', source: 'SHORTLINK', type: 'OPEN_THREAD' } })]));
    const rows = await messagesOf(c);
    expect(rows[0]).toMatchObject({ text: 'pick two', editCount: 1 });
    expect(rows[1]).toMatchObject({ kind: 'postback', text: 'Get started', postback: { title: 'Get started', payload: 'START' } });
    expect(rows[2]).toMatchObject({ kind: 'referral', referral: { ref: 'summer', source: 'SHORTLINK', type: 'OPEN_THREAD' } });
  });

  it('marks our sent messages read up to the seen watermark', async () => {
    const c = customer();
    const m1 = mid();
    const m2 = mid();
    await deliver(envelope(IG, [inbound(IG, c, 1_700_001_000_000, { mid: mid(), text: 'hi' })]));
    await deliver(envelope(IG, [echo(IG, c, 1_700_001_000_100, { mid: m1, text: 'one' }), echo(IG, c, 1_700_001_000_200, { mid: m2, text: 'two' })]));
    await deliver(envelope(IG, [event(IG, c, 1_700_001_000_300, { read: { mid: m1 } })]));
    const rows = await messagesOf(c);
    expect(rows.map((r) => r.status)).toEqual(['received', 'read', 'sent']);
    expect((await conversationOf(c))?.seenWatermarkAt?.getTime()).toBe(1_700_001_000_100);
  });

  it('keeps a reaction that arrives before its message waiting, finishes the event, and applies it when the message comes', async () => {
    const c = customer();
    const m = mid();
    await deliver(envelope(IG, [event(IG, c, 1_700_001_100_100, { reaction: { mid: m, action: 'react', reaction: 'like', emoji: '👍' } })]));
    const [row] = await queryRows<{ status: string; attempts: number; item_outcomes: unknown }>(
      t.database.db, sql`select status, attempts, item_outcomes from webhook_events order by id desc limit 1`,
    );
    expect(row).toMatchObject({ status: 'processed', attempts: 1, item_outcomes: { applied: 0, waiting: 1, ignored: [], unrouted: [] } });
    expect(await t.services.waitingEvents.waitingFor(accountId, m)).toHaveLength(1);

    await deliver(envelope(IG, [inbound(IG, c, 1_700_001_100_000, { mid: m, text: 'thumbs?' })]));
    const [target] = await messagesOf(c);
    const reactions = await t.database.db.select().from(messageReactions).where(eq(messageReactions.messageId, target?.id ?? ''));
    expect(reactions).toMatchObject([{ reactor: 'contact', reaction: 'like', emoji: '👍' }]);
    expect(await t.services.waitingEvents.waitingFor(accountId, m)).toEqual([]);
    const failed = await queryRows(t.database.db, sql`select id from webhook_events where status in ('failed', 'received')`);
    expect(failed).toEqual([]);
  });

  it('keeps events for an account nobody linked as unrouted, and processes them once it is linked', async () => {
    const other = '17841400000009999';
    const c = customer();
    await postSigned(t, envelope(other, [inbound(other, c, 1_700_001_200_000, { mid: mid(), text: 'anyone?' })]));
    await t.services.webhookProcessor.runUntilIdle();
    const [row] = await queryRows<{ status: string }>(t.database.db, sql`select status from webhook_events order by id desc limit 1`);
    expect(row?.status).toBe('unrouted');
    const linked = await createAccount(t.database.db, { igUserId: other });
    const requeued = await t.services.webhookEvents.requeue({ statuses: ['unrouted'], accountIgId: other });
    expect(requeued).toBe(1);
    await t.services.webhookProcessor.runUntilIdle();
    const [conv] = await t.database.db.select().from(conversations).where(eq(conversations.accountId, linked.id));
    expect(conv?.lastMessagePreview).toBe('anyone?');
  });

  it('keeps comments and the dashboard test sample, marked as not handled', async () => {
    await postSigned(t, { object: 'instagram', entry: [{ id: '0', time: 1, changes: [{ field: 'messages', value: { text: 'test' } }] }] });
    await t.services.webhookProcessor.runUntilIdle();
    const [row] = await queryRows<{ status: string }>(t.database.db, sql`select status from webhook_events order by id desc limit 1`);
    expect(row?.status).toBe('unhandled');
  });

  it('changes nothing when every stored event is processed again', async () => {
    const snapshot = async () =>
      queryRows(t.database.db, sql`select (select count(*)::int from messages) as m, (select count(*)::int from contacts) as c,
        (select sum(unread_count)::int from conversations) as u, (select count(*)::int from message_reactions) as r`);
    const before = await snapshot();
    await t.services.webhookEvents.requeue({ statuses: ['processed'] });
    await t.services.webhookProcessor.runUntilIdle();
    expect(await snapshot()).toEqual(before);
  });
});
