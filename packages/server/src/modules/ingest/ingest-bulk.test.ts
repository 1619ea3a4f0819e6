import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/db.ts';
import { queryRows, sql, sqlArray, type Database } from '../../db/client.ts';
import { applyCacheKey, createApplyCache, type ApplyHooks } from './ingest-apply.ts';
import { createKnownConversations, ensureConversations } from './ingest-conversations.ts';

const newContacts: string[] = [];
const hooks: ApplyHooks = {
  onNewContacts: async (_tx, contacts) => void newContacts.push(...contacts.map((c) => c.igsid)),
  onAttachments: async () => undefined,
  onMessageDeleted: async () => undefined,
  onEditWithoutText: async () => undefined,
};

describe('contacts and conversations of a batch, created or read set-wise', () => {
  let database: Database & { engine: string };
  let accountId: string;
  beforeAll(async () => {
    database = await createTestDatabase();
    const [row] = await queryRows<{ id: string }>(database.db, sql`insert into accounts (ig_user_id, username) values ('17841400000000931', 'bulk') returning id`);
    accountId = row?.id ?? '';
  });
  afterAll(async () => database.close());

  it('creates what is missing and reads what exists, announcing only the new conversations', async () => {
    const first = createApplyCache();
    const created = await database.db.transaction((tx) =>
      ensureConversations(tx, [{ accountId, igsid: '501', at: 1_000 }, { accountId, igsid: '502', at: 2_000 }, { accountId, igsid: '501', at: 500 }], hooks, first),
    );
    expect(created.map((e) => [e.type, e.occurredAt.getTime()]).sort()).toEqual([
      ['conversation.created', 2_000],
      ['conversation.created', 500],
    ]);
    expect(newContacts.splice(0).sort()).toEqual(['501', '502']);

    const second = createApplyCache();
    const again = await database.db.transaction((tx) =>
      ensureConversations(tx, [{ accountId, igsid: '501', at: 3_000 }, { accountId, igsid: '503', at: 3_000 }], hooks, second),
    );
    expect(again.map((e) => e.type)).toEqual(['conversation.created']);
    expect(newContacts.splice(0)).toEqual(['503']);
    expect(second.get(applyCacheKey(accountId, '501'))).toEqual(first.get(applyCacheKey(accountId, '501')));
    const [count] = await queryRows<{ contacts: number; conversations: number }>(
      database.db,
      sql`select (select count(*)::int from contacts where account_id = ${accountId}) as contacts,
                 (select count(*)::int from conversations where account_id = ${accountId}) as conversations`,
    );
    expect(count).toEqual({ contacts: 3, conversations: 3 });
  });

  it('takes what the process already knows, and creates anew what was deleted or rolled back since', async () => {
    const known = createKnownConversations();
    const pair = (igsid: string) => ({ accountId, igsid, at: 7_000 });
    await database.db.transaction((tx) => ensureConversations(tx, [pair('601'), pair('602')], hooks, createApplyCache(), known));
    newContacts.splice(0);
    const before = known.get(applyCacheKey(accountId, '601'));

    // a batch that rolls back leaves a hint to nothing behind
    await expect(
      database.db.transaction(async (tx) => {
        await ensureConversations(tx, [pair('603')], hooks, createApplyCache(), known);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(known.get(applyCacheKey(accountId, '603'))).toBeDefined();
    // and 602 is deleted with its contact (Meta's data deletion) after this process saw it
    await database.db.execute(sql`delete from contacts where account_id = ${accountId} and igsid = '602'`);
    newContacts.splice(0);

    const cache = createApplyCache();
    const events = await database.db.transaction((tx) => ensureConversations(tx, [pair('601'), pair('602'), pair('603')], hooks, cache, known));
    expect(cache.get(applyCacheKey(accountId, '601'))).toEqual(before);
    expect(events.map((e) => e.type)).toEqual(['conversation.created', 'conversation.created']);
    expect(newContacts.splice(0).sort()).toEqual(['602', '603']);
    const [row] = await queryRows<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from conversations where id = any(${sqlArray(['601', '602', '603'].map((i) => cache.get(applyCacheKey(accountId, i))?.conversationId ?? ''), 'uuid[]')})`,
    );
    expect(row?.n).toBe(3);
    expect(known.get(applyCacheKey(accountId, '602'))).toEqual(cache.get(applyCacheKey(accountId, '602')));
  });

  it('forgets the oldest known conversations past its bound', () => {
    const known = createKnownConversations(2);
    for (const k of ['a', 'b', 'c']) known.set(k, { contactId: k, conversationId: k });
    known.set('b', { contactId: 'b', conversationId: 'b2' });
    known.set('d', { contactId: 'd', conversationId: 'd' });
    expect(['a', 'b', 'c', 'd'].map((k) => known.get(k)?.conversationId ?? null)).toEqual([null, 'b2', null, 'd']);
  });

  // Two transactions at once, so only PostgreSQL (PGlite has one connection).
  it.skipIf(!process.env.TEST_DATABASE_URL)('reads a contact another transaction committed while the batch waited on it', async () => {
    let commit: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (commit = resolve));
    let inserted: () => void = () => undefined;
    const insertedYet = new Promise<void>((resolve) => (inserted = resolve));
    let otherId = '';
    const other = database.db.transaction(async (tx) => {
      const [row] = await queryRows<{ id: string }>(tx, sql`insert into contacts (account_id, igsid) values (${accountId}, '777') returning id`);
      otherId = row?.id ?? '';
      inserted();
      await held;
    });
    await insertedYet;
    const cache = createApplyCache();
    // this batch's insert waits on the uncommitted row; once it commits, the insert skips it and the statement's
    // snapshot does not show it: the second read must find it
    const batch = database.db.transaction((tx) => ensureConversations(tx, [{ accountId, igsid: '777', at: 5_000 }], hooks, cache));
    await new Promise((r) => setTimeout(r, 200));
    commit();
    await other;
    const events = await batch;
    expect(cache.get(applyCacheKey(accountId, '777'))?.contactId).toBe(otherId);
    expect(events.map((e) => e.type)).toEqual(['conversation.created']);
  });
});
