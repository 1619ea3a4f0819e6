import { epochMs, fixedRows, preparedRows, type Db } from '../../../db/client.ts';
import type { contacts, conversations, messages } from '../../../db/schema/index.ts';

/** The rows a CRM payload presents (crm-payload.ts). */
export type ContactRow = typeof contacts.$inferSelect;
export type ConversationRow = typeof conversations.$inferSelect;
export type MessageRow = typeof messages.$inferSelect;

/**
 * Numbers the events of each conversation ($1 ids, $2 their accounts, $3 how many) and reads, in the same statement,
 * what the payloads show of those conversations, their contacts and the messages $4: only the columns the payloads
 * use, as two JSON arrays. Taking the numbers locks the conversation rows until the caller commits, so numbers follow
 * commit order.
 */
export const CRM_OUTBOX_PARTS_SQL = `
with v(id, account_id, n) as (select * from unnest($1::uuid[], $2::uuid[], $3::int[])),
bumped as (
  update conversations c set crm_sequence = c.crm_sequence + v.n
  from v
  where c.id = v.id and c.account_id = v.account_id
  returning c.id, c.account_id, c.contact_id, c.ig_conversation_id, c.created_at, c.crm_sequence
)
select
  (select coalesce(json_agg(json_build_object(
      'id', b.id, 'accountId', b.account_id, 'igConversationId', b.ig_conversation_id,
      'createdAt', ${epochMs('b.created_at')}, 'crmSequence', b.crm_sequence,
      'contact', json_build_object('id', k.id, 'igsid', k.igsid, 'username', k.username, 'name', k.name))), '[]'::json)
    from bumped b join contacts k on k.id = b.contact_id) as conversations,
  (select coalesce(json_agg(json_build_object(
      'id', m.id, 'accountId', m.account_id, 'mid', m.mid, 'direction', m.direction, 'authorType', m.author_type,
      'kind', m.kind, 'text', m.text, 'attachments', m.attachments, 'replyToMid', m.reply_to_mid, 'status', m.status,
      'sentAt', ${epochMs('m.sent_at')}, 'readAt', ${epochMs('m.read_at')}, 'editedAt', ${epochMs('m.edited_at')},
      'deletedAt', ${epochMs('m.deleted_at')}, 'editTextState', m.edit_text_state, 'isUnsupported', m.is_unsupported)), '[]'::json)
    from messages m where m.id = any($4::uuid[])) as messages`;

/** Announces deliveries written for no dispatcher of the writing process to the processes that run one (NOTIFY). */
export const CRM_CHANNEL = 'threadline_crm';

/**
 * The deliveries ($1…$7, one array per column), written at $8; those claimed ($7) leased to this process ($10) until
 * $9.
 */
export const CRM_OUTBOX_INSERT_SQL = `
insert into crm_deliveries (id, account_id, conversation_id, event_type, sequence, payload, status, next_attempt_at, created_at,
  attempt_count, locked_until, locked_by, last_attempt_at)
select id, account_id, conversation_id, event_type, sequence, payload, 'pending', $8::timestamptz, $8::timestamptz,
  case when claimed then 1 else 0 end, case when claimed then $9::timestamptz end, case when claimed then $10::uuid end,
  case when claimed then $8::timestamptz end
from unnest($1::text[], $2::uuid[], $3::uuid[], $4::text[], $5::bigint[], $6::jsonb[], $7::bool[])
  as v(id, account_id, conversation_id, event_type, sequence, payload, claimed)`;
/** The same, announced on CRM_CHANNEL (delivered at commit). */
export const CRM_OUTBOX_INSERT_ANNOUNCE_SQL = `
with stored as (${CRM_OUTBOX_INSERT_SQL} returning 1)
select pg_notify('${CRM_CHANNEL}', '') from (select count(*) from stored) s`;
export type DeliveryInsert = {
  id: string;
  accountId: string;
  conversationId: string | null;
  eventType: string;
  sequence: number | null;
  payload: Record<string, unknown>;
};

/** The CRM outbox's statements (see crm-outbox.ts): what the payloads show, the deliveries, and their announcement. */
export const crmOutboxRepository = {
  /** Per conversation: its id, account and how many events it numbers; and the messages the payloads show. */
  async parts(
    tx: Db,
    conversations: { id: string; accountId: string; count: number }[],
    messageIds: string[],
  ): Promise<{ conversations: unknown; messages: unknown } | undefined> {
    const [row] = await fixedRows<{ conversations: unknown; messages: unknown }>(tx, CRM_OUTBOX_PARTS_SQL, [
      conversations.map((c) => c.id),
      conversations.map((c) => c.accountId),
      conversations.map((c) => c.count),
      messageIds,
    ]);
    return row;
  },
  /**
   * `rows`, written at `createdAt`; those in `claimedIds` leased to `processId` until `leaseUntil`. With `announce`,
   * the processes that deliver hear of them on CRM_CHANNEL when the transaction commits.
   */
  async insert(
    tx: Db,
    rows: DeliveryInsert[],
    claimed: { ids: ReadonlySet<string>; leaseUntil: Date | null; processId: string | null },
    createdAt: Date,
    announce: boolean,
  ): Promise<void> {
    const claimedIds = claimed.ids;
    const [name, text] = announce ? ['crm_outbox_insert_announce', CRM_OUTBOX_INSERT_ANNOUNCE_SQL] : ['crm_outbox_insert', CRM_OUTBOX_INSERT_SQL];
    await preparedRows(tx, name, text, [
      rows.map((r) => r.id),
      rows.map((r) => r.accountId),
      rows.map((r) => r.conversationId),
      rows.map((r) => r.eventType),
      rows.map((r) => r.sequence),
      rows.map((r) => JSON.stringify(r.payload)),
      rows.map((r) => claimedIds.has(r.id)),
      createdAt.toISOString(),
      claimed.leaseUntil?.toISOString() ?? null,
      claimed.processId,
    ]);
  },
};

/** Tells the processes that deliver that deliveries are due (written or requeued by a process that runs none). */
export async function announceCrmWork(db: Db): Promise<void> {
  await fixedRows(db, `select pg_notify('${CRM_CHANNEL}', '')`, []);
}
