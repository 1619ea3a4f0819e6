import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/db.ts';
import { createAccount } from '../../../test/factories.ts';
import type { Database } from '../../db/client.ts';
import { contacts, conversations, messages } from '../../db/schema/index.ts';
import { createInboxReadRepository, type ConversationListOptions } from './inbox-read.repository.ts';

// Search reads the matches first when they are few and walks the account's conversations when they are many: both
// ways must answer the same pages. `searchCandidates: 0` forces the walk for anything that matches.
describe('conversation search', () => {
  let database: Database & { engine: string };
  let shop = '';
  let other = '';
  const base = Date.parse('2026-11-01T12:00:00Z');

  async function conversation(accountId: string, i: number, c: { username: string; name: string; texts: string[]; unread?: number; active?: boolean }) {
    const [contact] = await database.db.insert(contacts).values({ accountId, igsid: `igsid_${accountId.slice(0, 8)}_${i}`, username: c.username, name: c.name }).returning();
    const at = new Date(base + i * 60_000);
    const [conv] = await database.db
      .insert(conversations)
      .values({ accountId, contactId: contact?.id ?? '', lastMessageAt: c.active === false ? null : at, unreadCount: c.unread ?? 0 })
      .returning();
    for (const [n, text] of c.texts.entries()) {
      await database.db.insert(messages).values({
        accountId,
        conversationId: conv?.id ?? '',
        mid: `mid_${accountId.slice(0, 8)}_${i}_${n}`,
        direction: 'inbound',
        authorType: 'contact',
        status: 'received',
        text,
        sentAt: new Date(at.getTime() - n * 1000),
      });
    }
    return conv?.id ?? '';
  }

  const ids: Record<string, string> = {};
  beforeAll(async () => {
    database = await createTestDatabase();
    shop = (await createAccount(database.db)).id;
    other = (await createAccount(database.db)).id;
    ids.maria = await conversation(shop, 1, { username: 'maria.rossi', name: 'Maria Rossi', texts: ['Ciao!'] });
    ids.lisbon = await conversation(shop, 2, { username: 'joao_p', name: 'João', texts: ['Do you ship to Lisbon?', 'Lisbon, Portugal'], unread: 1 });
    ids.percent = await conversation(shop, 3, { username: 'sale_fan', name: 'Sale Fan', texts: ['Is it 50% off?'] });
    ids.quiet = await conversation(shop, 4, { username: 'lisbon.quiet', name: 'No messages yet', texts: [], active: false });
    for (let i = 10; i < 22; i += 1) {
      ids[`order${i}`] = await conversation(shop, i, { username: `buyer_${i}`, name: `Buyer ${i}`, texts: [`Where is my order #${i}?`, 'order status please'], unread: i % 2 });
    }
    await conversation(other, 1, { username: 'maria.rossi', name: 'Maria Rossi', texts: ['Lisbon too', 'order'] });
  });
  afterAll(async () => database.close());

  const gathering = () => createInboxReadRepository(database.db);
  const walking = () => createInboxReadRepository(database.db, { searchCandidates: 0 });
  const search = async (repo: ReturnType<typeof gathering>, q: string, more: Partial<ConversationListOptions> = {}) =>
    (await repo.listConversations({ accountId: shop, filter: 'all', q, limit: 30, after: null, ...more })).map((r) => r.conversation.id);

  it.each([
    ['gathering the matches', gathering],
    ['walking the conversations', walking],
  ])('finds by username, name and message text, case-insensitively, only in the account, %s', async (_, repo) => {
    expect(await search(repo(), 'MARIA.ROSSI')).toEqual([ids.maria]);
    expect(await search(repo(), 'rossi')).toEqual([ids.maria]);
    // two messages of one conversation match: it is listed once; a conversation with no message yet is not listed
    expect(await search(repo(), 'lisbon')).toEqual([ids.lisbon]);
    expect(await search(repo(), 'nobody-says-this')).toEqual([]);
  });

  it.each([
    ['gathering the matches', gathering],
    ['walking the conversations', walking],
  ])('takes percent signs and underscores literally, %s', async (_, repo) => {
    expect(await search(repo(), '50%')).toEqual([ids.percent]);
    expect(await search(repo(), '5%off')).toEqual([]);
    expect(await search(repo(), 'joao_')).toEqual([ids.lisbon]);
    expect(await search(repo(), 'joao_p_')).toEqual([]);
  });

  it('answers the same pages, newest first, either way, with a cursor and a filter', async () => {
    const orders = Array.from({ length: 12 }, (_, k) => ids[`order${21 - k}`]);
    for (const repo of [gathering(), walking()]) {
      const first = await repo.listConversations({ accountId: shop, filter: 'all', q: 'order', limit: 5, after: null });
      expect(first.map((r) => r.conversation.id)).toEqual(orders.slice(0, 5));
      const last = first.at(-1)?.conversation;
      const after = { at: last?.lastMessageAt ?? new Date(), id: last?.id ?? '' };
      expect(await search(repo, 'order', { limit: 5, after })).toEqual(orders.slice(5, 10));
      expect(await search(repo, 'order', { filter: 'unread' })).toEqual(orders.filter((_, k) => (21 - k) % 2 === 1));
    }
  });
});
