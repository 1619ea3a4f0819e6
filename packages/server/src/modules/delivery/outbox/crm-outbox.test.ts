import { recordAll } from '../../../events/inbox-events.ts';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crmEventSchema } from '@threadline/contract';
import { createTestDatabase } from '../../../../test/db.ts';
import { createAccount } from '../../../../test/factories.ts';
import type { Database } from '../../../db/client.ts';
import { accounts, contacts, conversations, crmDeliveries, messages } from '../../../db/schema/index.ts';
import { createCrmOutbox } from './crm-outbox.ts';
import { createUnitsOfWork } from '../../../db/unit-of-work.ts';
import { presentCrmContact, presentCrmConversation, presentCrmMessage } from './crm-payload.ts';
import { createConversation, createMessage } from '../crm-test-helpers.ts';

describe('CRM outbox', () => {
  let database: Database;
  const outbox = createCrmOutbox();
  const units = () => createUnitsOfWork(database.db, [outbox]);
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database.close());

  async function crmAccount(url: string | null = 'https://crm.example.test/hook') {
    const account = await createAccount(database.db);
    await database.db.update(accounts).set({ crmWebhookUrl: url }).where(eq(accounts.id, account.id));
    return account;
  }

  const deliveriesOf = (accountId: string) =>
    database.db.select().from(crmDeliveries).where(eq(crmDeliveries.accountId, accountId)).orderBy(crmDeliveries.sequence);

  it('writes a self-contained, schema-valid payload with our ids and the Instagram ids', async () => {
    const account = await crmAccount();
    const { conversation, contact } = await createConversation(database.db, account.id);
    const message = await createMessage(database.db, account.id, conversation.id);
    const occurredAt = new Date('2025-05-01T10:00:00.123Z');
    await units().run((uow) =>
      recordAll(uow, [{ type: 'message.received', accountId: account.id, conversationId: conversation.id, messageId: message.id, occurredAt }]),
    );
    const [row] = await deliveriesOf(account.id);
    expect(row).toMatchObject({ status: 'pending', eventType: 'message.received', sequence: 1, conversationId: conversation.id });
    const event = crmEventSchema.parse(row?.payload);
    expect(event.id).toBe(row?.id);
    if (event.type !== 'message.received') throw new Error('wrong type');
    expect(event.data.account).toMatchObject({ id: account.id, ig_user_id: account.igUserId });
    expect(event.data.contact).toMatchObject({ id: contact.id, igsid: contact.igsid });
    expect(event.data.message).toMatchObject({ id: message.id, mid: message.mid, text: 'Hello, is this in stock?' });
    expect(event.data.occurred_at).toBe(occurredAt.toISOString());
  });

  it('shows the conversation, contact and messages exactly as their rows are (timestamps to the millisecond, deleted text hidden)', async () => {
    const account = await crmAccount();
    const { conversation } = await createConversation(database.db, account.id);
    const edited = await createMessage(database.db, account.id, conversation.id);
    const deleted = await createMessage(database.db, account.id, conversation.id);
    // microseconds that a JS Date cannot hold, read and edited times, attachments, a reply, a deletion
    await database.db.execute(sql`update conversations set created_at = '2025-04-30 08:00:00.999999+00' where id = ${conversation.id}`);
    await database.db.execute(sql`update messages set sent_at = '2025-05-01 10:00:00.123456+00', read_at = '2025-05-01 10:01:00.000999+00',
      edited_at = '2025-05-01 10:02:03.456789+00', reply_to_mid = 'mid.quoted',
      attachments = '[{"type":"image","url":"https://cdn.example.test/a.jpg"},{"type":"audio"}]'::jsonb where id = ${edited.id}`);
    await database.db.execute(sql`update messages set deleted_at = '2025-05-01 11:00:00.5+00' where id = ${deleted.id}`);
    const at = new Date();
    await units().run(async (uow) => {
      uow.record( { type: 'message.updated', accountId: account.id, conversationId: conversation.id, messageId: edited.id, occurredAt: at });
      uow.record({ type: 'message.deleted', accountId: account.id, conversationId: conversation.id, messageId: deleted.id, occurredAt: at });
      await uow.flush();
    });
    const [conversationRow] = await database.db.select().from(conversations).where(eq(conversations.id, conversation.id));
    const [contactRow] = await database.db.select().from(contacts).where(eq(contacts.id, conversation.contactId));
    const messageRows = new Map((await database.db.select().from(messages).where(eq(messages.conversationId, conversation.id))).map((m) => [m.id, m]));
    const rows = await deliveriesOf(account.id);
    expect(rows).toHaveLength(2);
    for (const [row, messageId] of [[rows[0], edited.id], [rows[1], deleted.id]] as const) {
      const data = crmEventSchema.parse(row?.payload).data as { conversation: unknown; contact: unknown; message: unknown };
      const message = messageRows.get(messageId);
      if (!conversationRow || !contactRow || !message) throw new Error('rows missing');
      expect(data.conversation).toEqual(presentCrmConversation(conversationRow));
      expect(data.contact).toEqual(presentCrmContact(contactRow));
      expect(data.message).toEqual(presentCrmMessage(message));
    }
    const [first, second] = rows.map((r) => crmEventSchema.parse(r.payload).data as { message: Record<string, unknown>; conversation: Record<string, unknown> });
    expect(first?.conversation.created_at).toBe('2025-04-30T08:00:00.999Z');
    expect(first?.message).toMatchObject({
      sent_at: '2025-05-01T10:00:00.123Z',
      read_at: '2025-05-01T10:01:00.000Z',
      edited_at: '2025-05-01T10:02:03.456Z',
      deleted_at: null,
      reply_to_mid: 'mid.quoted',
      attachments: [
        { type: 'image', url: 'https://cdn.example.test/a.jpg' },
        { type: 'audio', url: null },
      ],
    });
    expect(second?.message).toMatchObject({ text: null, attachments: [], deleted_at: '2025-05-01T11:00:00.500Z' });
  });

  it('numbers the events of one conversation one after another', async () => {
    const account = await crmAccount();
    const { conversation } = await createConversation(database.db, account.id);
    const message = await createMessage(database.db, account.id, conversation.id);
    const at = new Date();
    await units().run(async (uow) => {
      uow.record( { type: 'conversation.created', accountId: account.id, conversationId: conversation.id, occurredAt: at });
      uow.record({ type: 'message.received', accountId: account.id, conversationId: conversation.id, messageId: message.id, occurredAt: at });
      uow.record({
        type: 'reaction.added',
        accountId: account.id,
        conversationId: conversation.id,
        messageId: message.id,
        reactor: 'business',
        reaction: 'love',
        emoji: '❤️',
        occurredAt: at,
      });
      await uow.flush();
    });
    const rows = await deliveriesOf(account.id);
    expect(rows.map((r) => [r.eventType, r.sequence])).toEqual([
      ['conversation.created', 1],
      ['message.received', 2],
      ['reaction.added', 3],
    ]);
    for (const r of rows) crmEventSchema.parse(r.payload);
    expect(rows[2]?.payload).toMatchObject({ data: { reaction: { reactor: 'business', reaction: 'love', emoji: '❤️' } } });
  });

  it('records an account event without a conversation or sequence', async () => {
    const account = await crmAccount();
    await units().run((uow) => recordAll(uow, [{ type: 'account.reauth_required', accountId: account.id, occurredAt: new Date() }]));
    const [row] = await deliveriesOf(account.id);
    expect(row).toMatchObject({ eventType: 'account.reauth_required', sequence: null, conversationId: null });
    expect(crmEventSchema.parse(row?.payload).type).toBe('account.reauth_required');
  });

  it('does nothing for an account without a CRM URL, or with a disabled one', async () => {
    const none = await crmAccount(null);
    const disabled = await crmAccount();
    await database.db.update(accounts).set({ crmDisabledAt: new Date() }).where(eq(accounts.id, disabled.id));
    for (const account of [none, disabled]) {
      await units().run((uow) => recordAll(uow, [{ type: 'account.connected', accountId: account.id, occurredAt: new Date() }]));
      expect(await deliveriesOf(account.id)).toHaveLength(0);
    }
  });

  it('leaves no delivery behind when the inbox transaction rolls back', async () => {
    const account = await crmAccount();
    await expect(
      units().run(async (uow) => {
        await recordAll(uow, [{ type: 'account.connected', accountId: account.id, occurredAt: new Date() }]);
        throw new Error('the inbox write failed');
      }),
    ).rejects.toThrow('the inbox write failed');
    expect(await deliveriesOf(account.id)).toHaveLength(0);
  });
});
