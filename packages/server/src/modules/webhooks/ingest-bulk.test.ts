import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/db.ts';
import { queryRows, sql, type Database } from '../../db/client.ts';
import { applyCacheKey, createApplyCache, type ApplyHooks } from './ingest-apply.ts';
import { ensureConversations } from './ingest-bulk.ts';

const newContacts: string[] = [];
const hooks: ApplyHooks = {
  onNewContacts: async (_tx, contacts) => void newContacts.push(...contacts.map((c) => c.igsid)),
  onAttachments: async () => undefined,
  onMessageDeleted: async () => undefined,
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

  // Two connections are needed, so only PostgreSQL (PGlite has one).
  it.skipIf(!process.env.TEST_DATABASE_URL)('reads a contact another transaction committed while the batch waited on it', async () => {
    const other = new pg.Client({ connectionString: await connectionUrl(database) });
    await other.connect();
    try {
      await other.query('begin');
      const inserted = await other.query<{ id: string }>(`insert into contacts (account_id, igsid) values ($1, '777') returning id`, [accountId]);
      const cache = createApplyCache();
      // this batch's insert waits on the uncommitted row; once it commits, the insert skips it and the statement's
      // snapshot does not show it: the second read must find it
      const batch = database.db.transaction((tx) => ensureConversations(tx, [{ accountId, igsid: '777', at: 5_000 }], hooks, cache));
      await new Promise((r) => setTimeout(r, 200));
      await other.query('commit');
      const events = await batch;
      expect(cache.get(applyCacheKey(accountId, '777'))?.contactId).toBe(inserted.rows[0]?.id);
      expect(events.map((e) => e.type)).toEqual(['conversation.created']);
    } finally {
      await other.end();
    }
  });
});

/** The URL of the test database (a fresh database on TEST_DATABASE_URL's server). */
async function connectionUrl(database: Database): Promise<string> {
  const [row] = await queryRows<{ name: string }>(database.db, sql`select current_database() as name`);
  const url = new URL(process.env.TEST_DATABASE_URL ?? '');
  url.pathname = `/${row?.name ?? ''}`;
  return url.toString();
}
