import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestDatabase } from '../../test/db.ts';
import { pendingMigrations, runMigrations } from './migrate.ts';
import { queryRows } from './client.ts';

describe('migrations', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.close();
  });

  it('leaves no migration pending after running them', async () => {
    expect(await pendingMigrations(database)).toEqual([]);
  });

  it('is a no-op when run again, even twice at once', async () => {
    await Promise.all([runMigrations(database), runMigrations(database)]);
    expect(await pendingMigrations(database)).toEqual([]);
  });

  it('creates every table of the data model', async () => {
    const rows = await queryRows<{ table_name: string }>(
      database.db,
      sql`select table_name from information_schema.tables where table_schema = 'public' order by 1`,
    );
    const names = rows.map((r) => r.table_name);
    for (const table of [
      'users', 'sessions', 'accounts', 'user_accounts', 'oauth_states', 'contacts', 'conversations', 'messages',
      'message_reactions', 'media_objects', 'webhook_events', 'crm_deliveries', 'crm_delivery_attempts', 'api_keys',
      'idempotency_keys', 'realtime_events', 'audit_log', 'rate_limit_counters', 'data_deletion_requests',
    ]) {
      expect(names).toContain(table);
    }
  });

  it('refuses a second message with the same mid on one account', async () => {
    const [acc] = await queryRows<{ id: string }>(database.db, sql`insert into accounts (ig_user_id, username) values ('1784', 'shop') returning id`);
    const [contact] = await queryRows<{ id: string }>(database.db, sql`insert into contacts (account_id, igsid) values (${acc?.id}, '555') returning id`);
    const [conv] = await queryRows<{ id: string }>(database.db, sql`insert into conversations (account_id, contact_id) values (${acc?.id}, ${contact?.id}) returning id`);
    const insert = () =>
      database.db.execute(sql`insert into messages (account_id, conversation_id, mid, direction, author_type, status, sent_at)
        values (${acc?.id}, ${conv?.id}, 'm.1', 'inbound', 'contact', 'received', now())`);
    await insert();
    await expect(insert()).rejects.toThrow();
  });
});
