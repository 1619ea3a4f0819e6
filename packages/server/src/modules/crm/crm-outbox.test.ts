import { recordAll } from '../inbox/inbox-events.ts';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crmEventSchema } from '@threadline/contract';
import { createTestDatabase } from '../../../test/db.ts';
import { createAccount } from '../../../test/factories.ts';
import type { Database } from '../../db/client.ts';
import { accounts, crmDeliveries } from '../../db/schema/index.ts';
import { createCrmOutbox } from './crm-outbox.ts';
import { createConversation, createMessage } from './crm-test-helpers.ts';

describe('CRM outbox', () => {
  let database: Database;
  const outbox = createCrmOutbox();
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
    await database.db.transaction((tx) =>
      recordAll([outbox], tx, [{ type: 'message.received', accountId: account.id, conversationId: conversation.id, messageId: message.id, occurredAt }]),
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

  it('numbers the events of one conversation one after another', async () => {
    const account = await crmAccount();
    const { conversation } = await createConversation(database.db, account.id);
    const message = await createMessage(database.db, account.id, conversation.id);
    const at = new Date();
    await database.db.transaction(async (tx) => {
      await outbox.record(tx, { type: 'conversation.created', accountId: account.id, conversationId: conversation.id, occurredAt: at });
      await outbox.record(tx, { type: 'message.received', accountId: account.id, conversationId: conversation.id, messageId: message.id, occurredAt: at });
      await outbox.record(tx, {
        type: 'reaction.added',
        accountId: account.id,
        conversationId: conversation.id,
        messageId: message.id,
        reactor: 'business',
        reaction: 'love',
        emoji: '❤️',
        occurredAt: at,
      });
      await outbox.flush(tx);
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
    await database.db.transaction((tx) => recordAll([outbox], tx, [{ type: 'account.reauth_required', accountId: account.id, occurredAt: new Date() }]));
    const [row] = await deliveriesOf(account.id);
    expect(row).toMatchObject({ eventType: 'account.reauth_required', sequence: null, conversationId: null });
    expect(crmEventSchema.parse(row?.payload).type).toBe('account.reauth_required');
  });

  it('does nothing for an account without a CRM URL, or with a disabled one', async () => {
    const none = await crmAccount(null);
    const disabled = await crmAccount();
    await database.db.update(accounts).set({ crmDisabledAt: new Date() }).where(eq(accounts.id, disabled.id));
    for (const account of [none, disabled]) {
      await database.db.transaction((tx) => recordAll([outbox], tx, [{ type: 'account.connected', accountId: account.id, occurredAt: new Date() }]));
      expect(await deliveriesOf(account.id)).toHaveLength(0);
    }
  });

  it('leaves no delivery behind when the inbox transaction rolls back', async () => {
    const account = await crmAccount();
    await expect(
      database.db.transaction(async (tx) => {
        await recordAll([outbox], tx, [{ type: 'account.connected', accountId: account.id, occurredAt: new Date() }]);
        throw new Error('the inbox write failed');
      }),
    ).rejects.toThrow('the inbox write failed');
    expect(await deliveriesOf(account.id)).toHaveLength(0);
  });
});
