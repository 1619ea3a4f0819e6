import { eq, sql } from 'drizzle-orm';
import { fixedRows, preparedRows, queryRows, sqlArray, type Db } from '../../db/client.ts';
import { conversations, type messages } from '../../db/schema/index.ts';

export type { StoredAttachment, WaitingData, WaitingKind, WebhookItemOutcomes } from '../../db/schema/index.ts';
/** A message row as written. */
export type MessageInsert = typeof messages.$inferInsert;

/** A batch's messages, one array per column ($1…$15); a mid already stored is skipped. */
export const INGEST_INSERT_MESSAGES_SQL = `
insert into messages (account_id, conversation_id, mid, direction, author_type, kind, text, attachments, reply_to_mid,
  reply_to_story, quick_reply_payload, referral, is_unsupported, status, sent_at)
select * from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[], $9::text[],
  $10::jsonb[], $11::text[], $12::jsonb[], $13::bool[], $14::text[], $15::timestamptz[])
on conflict (account_id, mid) do nothing
returning id, account_id, mid`;

/**
 * Per conversation ($1): its newest new message ($2 time, $3 id, $4 preview, $5 direction), $6 inbound ones, $7 the
 * newest of those. A message from the customer opens a snoozed or done conversation again: `old` (the row before
 * this update, already locked by this transaction) tells which were reopened.
 */
export const INGEST_AGGREGATES_SQL = `
update conversations c set
  last_message_id = case when c.last_message_at is null or v.newest_at >= c.last_message_at then v.newest_id else c.last_message_id end,
  last_message_preview = case when c.last_message_at is null or v.newest_at >= c.last_message_at then v.preview else c.last_message_preview end,
  last_message_direction = case when c.last_message_at is null or v.newest_at >= c.last_message_at then v.direction else c.last_message_direction end,
  needs_reply = case when c.last_message_at is null or v.newest_at >= c.last_message_at then v.direction = 'inbound' else c.needs_reply end,
  last_message_at = greatest(c.last_message_at, v.newest_at),
  last_inbound_at = greatest(c.last_inbound_at, v.newest_inbound_at),
  unread_count = c.unread_count + v.n,
  status = case when v.n > 0 then 'open' else c.status end,
  snoozed_until = case when v.n > 0 then null else c.snoozed_until end,
  status_changed_at = case when v.n > 0 and c.status <> 'open' then now() else c.status_changed_at end,
  updated_at = now()
from unnest($1::uuid[], $2::timestamptz[], $3::uuid[], $4::text[], $5::text[], $6::int[], $7::timestamptz[])
  as v(id, newest_at, newest_id, preview, direction, n, newest_inbound_at)
  join conversations old on old.id = v.id
where c.id = v.id
returning c.id, c.account_id, old.status as previous_status, old.snoozed_until as previous_snoozed_until, v.newest_inbound_at`;

/**
 * The rows of `table` for (account_id, `key`) pairs: inserted when missing (DO NOTHING), the others read, in one
 * statement; rows that already exist are not locked for the rest of the transaction. A row that a concurrent
 * transaction committed after the statement's snapshot is skipped by the insert and unseen by the read: those few
 * are read again by a second statement, which sees them.
 */
async function insertOrRead(tx: Db, table: 'contacts' | 'conversations', key: 'igsid' | 'contact_id', accountIds: string[], keys: string[], keyCast: 'text[]' | 'uuid[]') {
  type Row = { id: string; account_id: string; key: string; inserted: boolean };
  const [tableName, keyName] = [sql.raw(table), sql.raw(key)];
  const rows = await queryRows<Row>(
    tx,
    sql`with v(account_id, key) as (select * from unnest(${sqlArray(accountIds, 'uuid[]')}, ${sqlArray(keys, keyCast)})),
        ins as (
          insert into ${tableName} (account_id, ${keyName}) select account_id, key from v
          on conflict (account_id, ${keyName}) do nothing returning id, account_id, ${keyName} as key
        )
        select id, account_id, key, true as inserted from ins
        union all
        select t.id, t.account_id, t.${keyName} as key, false as inserted from ${tableName} t join v on t.account_id = v.account_id and t.${keyName} = v.key`,
  );
  if (rows.length >= keys.length) return rows;
  const seen = new Set(rows.map((r) => `${r.account_id}:${r.key}`));
  const unseen = keys.map((k, i) => ({ accountId: accountIds[i] ?? '', key: k })).filter((p) => !seen.has(`${p.accountId}:${p.key}`));
  const late = await queryRows<Row>(
    tx,
    sql`select t.id, t.account_id, t.${keyName} as key, false as inserted from ${tableName} t
        join unnest(${sqlArray(unseen.map((p) => p.accountId), 'uuid[]')}, ${sqlArray(unseen.map((p) => p.key), keyCast)}) as v(account_id, key)
        on t.account_id = v.account_id and t.${keyName} = v.key`,
  );
  return [...rows, ...late];
}

type AggregateRow = { id: string; account_id: string; previous_status: string; previous_snoozed_until: unknown; newest_inbound_at: unknown };

/** The set-wise statements of a webhook batch (ingest-bulk.ts, ingest-conversations.ts): all take the batch's transaction. */
export const ingestRepository = {
  insertOrRead,
  /** Conversation row by id (for callers that need the aggregate after applying). */
  async conversationById(tx: Db, id: string) {
    const [row] = await tx.select().from(conversations).where(eq(conversations.id, id));
    return row;
  },
  /** Locks the conversations in id order for the rest of the transaction; answers the ids found. */
  lockConversations(tx: Db, ids: string[]): Promise<{ id: string }[]> {
    return fixedRows<{ id: string }>(tx, 'select id from conversations where id = any($1::uuid[]) order by id for update', [ids]);
  },
  /** The conversations among `conversationIds` holding a send with no mid yet (see ingest-bulk.ts). */
  async conversationsWithPendingSends(tx: Db, accountIds: string[], conversationIds: string[]): Promise<Set<string>> {
    const rows = await queryRows<{ conversation_id: string }>(
      tx,
      sql`select distinct conversation_id from messages
        where account_id = any(${sqlArray(accountIds, 'uuid[]')}) and status in ('unknown', 'sending')
          and direction = 'outbound' and mid is null and conversation_id = any(${sqlArray(conversationIds, 'uuid[]')})`,
    );
    return new Set(rows.map((r) => r.conversation_id));
  },
  /** `INGEST_INSERT_MESSAGES_SQL` with its fifteen column arrays. */
  insertMessages(tx: Db, columns: unknown[][]): Promise<{ id: string; account_id: string; mid: string }[]> {
    return preparedRows<{ id: string; account_id: string; mid: string }>(tx, 'ingest_insert_messages', INGEST_INSERT_MESSAGES_SQL, columns);
  },
  /** Echoes of messages already stored by their mid: those rows are sent now. */
  confirmSentByMid(tx: Db, accountIds: string[], mids: string[]) {
    return queryRows<{ id: string; account_id: string; conversation_id: string; mid: string }>(
      tx,
      sql`update messages m set status = 'sent', updated_at = now()
          from unnest(${sqlArray(accountIds, 'uuid[]')}, ${sqlArray(mids, 'text[]')}) as v(account_id, mid)
          where m.account_id = v.account_id and m.mid = v.mid and m.status in ('queued', 'sending', 'unknown')
          returning m.id, m.account_id, m.conversation_id, m.mid`,
    );
  },
  /** `INGEST_AGGREGATES_SQL` with its seven column arrays. */
  updateConversationAggregates(tx: Db, columns: unknown[][]): Promise<AggregateRow[]> {
    return fixedRows<AggregateRow>(tx, INGEST_AGGREGATES_SQL, columns);
  },
};
