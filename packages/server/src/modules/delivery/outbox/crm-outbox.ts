import { randomBytes } from 'node:crypto';
import { CRM_EVENT_TYPES } from '@threadline/contract';
import { epochMs, fixedRows, preparedRows, type Db } from '../../../db/client.ts';
import { onTransactionEnd } from '../../../db/transaction.ts';
import { accountsByIdsIn } from '../../accounts/accounts-in-transaction.ts';
import type { InboxEvent, InboxEventSink } from '../../../events/inbox-events.ts';
import { accounts } from '../../../db/schema/index.ts';
import type { DispatcherHandoff } from '../dispatch/crm-dispatcher.ts';
import type { CrmMetrics } from '../dispatch/crm-metrics.ts';
import {
  envelope,
  presentCrmAccount,
  presentCrmContact,
  presentCrmConversation,
  presentCrmMessage,
  type CrmContactSource,
  type CrmConversationSource,
  type CrmMessageSource,
} from './crm-payload.ts';
import type { ClaimedWork } from '../dispatch/crm.repository.ts';

const CRM_TYPES: ReadonlySet<string> = new Set(CRM_EVENT_TYPES);

/** What the inbox tells the CRM bridge (the one definition lives with the inbox). */
export type { InboxEvent };

export type CrmOutbox = InboxEventSink & {
  /**
   * Notes the CRM delivery of `event` for the caller's transaction; `flush` (which the writer calls before
   * committing, see `recordAll`) writes every delivery noted in it, so the inbox change and its deliveries commit
   * together or not at all. An account that forwards to no CRM costs one primary-key read per flush.
   * The dispatcher picks the rows up once they are committed and due.
   */
  record(tx: Db, event: InboxEvent): Promise<void>;
  flush(tx: Db): Promise<void>;
};

export type CrmOutboxDeps = {
  now?: () => Date;
  metrics?: Pick<CrmMetrics, 'recorded'>;
  /**
   * This process's dispatcher. In a transaction begun by `transaction()` (db/transaction.ts), deliveries to a
   * healthy endpoint that it has room for are written already claimed by it, for `leaseMs`, and handed to it
   * after the commit: no claim query, no wait for a poll. The others are claimed as usual (the dispatcher is poked
   * after the commit).
   */
  handoff?: { dispatcher: DispatcherHandoff<ClaimedWork>; leaseMs: number; processId: string };
};

type AccountRow = typeof accounts.$inferSelect;
type ConversationPart = { accountId: string; conversation: CrmConversationSource; contact: CrmContactSource };
type MessagePart = CrmMessageSource & { accountId: string };
type ConversationJson = { id: string; accountId: string; igConversationId: string | null; createdAt: number; crmSequence: number; contact: CrmContactSource };
type MessageJson = Omit<MessagePart, 'sentAt' | 'readAt' | 'editedAt' | 'deletedAt'> & {
  sentAt: number;
  readAt: number | null;
  editedAt: number | null;
  deletedAt: number | null;
};

/**
 * Numbers the events of each conversation ($1 ids, $2 their accounts, $3 how many) and reads, in the same statement,
 * what the payloads show of those conversations, their contacts and the messages $4: only the columns the payloads
 * use, as two JSON arrays. Taking the numbers locks the conversation rows until the caller commits, so numbers follow
 * commit order.
 */
const PARTS_SQL = `
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

/** A JSON array column: parsed by either driver already, or its text. */
function jsonRows<T>(value: unknown): T[] {
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  return Array.isArray(parsed) ? (parsed as T[]) : [];
}
const dateOrNull = (ms: number | null) => (ms === null ? null : new Date(ms));

/**
 * The deliveries ($1…$7, one array per column), written at $8; those claimed ($7) leased to this process ($10) until
 * $9.
 */
const INSERT_SQL = `
insert into crm_deliveries (id, account_id, conversation_id, event_type, sequence, payload, status, next_attempt_at, created_at,
  attempt_count, locked_until, locked_by, last_attempt_at)
select id, account_id, conversation_id, event_type, sequence, payload, 'pending', $8::timestamptz, $8::timestamptz,
  case when claimed then 1 else 0 end, case when claimed then $9::timestamptz end, case when claimed then $10::uuid end,
  case when claimed then $8::timestamptz end
from unnest($1::text[], $2::uuid[], $3::uuid[], $4::text[], $5::bigint[], $6::jsonb[], $7::bool[])
  as v(id, account_id, conversation_id, event_type, sequence, payload, claimed)`;
type DeliveryInsert = {
  id: string;
  accountId: string;
  conversationId: string | null;
  eventType: string;
  sequence: number | null;
  payload: Record<string, unknown>;
};

/** `msg_` + 12 hex digits of milliseconds + 20 random hex digits: unique, roughly time-ordered, header-safe. */
export function newDeliveryId(at: Date): string {
  return `msg_${at.getTime().toString(16).padStart(12, '0')}${randomBytes(10).toString('hex')}`;
}

export function createCrmOutbox(deps: CrmOutboxDeps = {}): CrmOutbox {
  const now = deps.now ?? (() => new Date());
  const buffers = new WeakMap<Db, InboxEvent[]>();

  async function record(tx: Db, event: InboxEvent): Promise<void> {
    // A queued send is not news for a CRM yet: it hears `message.sent` (or `message.updated` with the failure). Nor
    // are a note's edits, mentions or who has a thread open: a CRM hears only the types of the contract.
    if (!CRM_TYPES.has(event.type)) return;
    const buffer = buffers.get(tx) ?? [];
    buffer.push(event);
    buffers.set(tx, buffer);
  }

  /**
   * Writes the transaction's deliveries set-wise: the accounts (usually kept from the batch's own read), one
   * statement numbering them per conversation and reading what their payloads show, one insert.
   */
  async function flush(tx: Db): Promise<void> {
    const buffered = buffers.get(tx);
    if (!buffered || buffered.length === 0) return;
    buffers.delete(tx);

    const accountIds = [...new Set(buffered.map((e) => e.accountId))];
    const accountRows = await accountsByIdsIn(tx, accountIds);
    const forwarding = new Map(accountRows.filter((a) => a.crmWebhookUrl !== null && a.crmDisabledAt === null).map((a) => [a.id, a]));
    const events = buffered.filter((e) => forwarding.has(e.accountId));
    if (events.length === 0) return;

    // Sequence numbers, per conversation in the order the events were recorded. Taking them locks the
    // conversation rows until the caller commits: numbers follow commit order.
    const perConversation = new Map<string, { accountId: string; count: number }>();
    for (const e of events) {
      if (!('conversationId' in e)) continue;
      const entry = perConversation.get(e.conversationId) ?? { accountId: e.accountId, count: 0 };
      entry.count += 1;
      perConversation.set(e.conversationId, entry);
    }
    const messageIds = [...new Set(events.flatMap((e) => ('messageId' in e ? [e.messageId] : [])))];
    const nextSequence = new Map<string, number>();
    const parts = new Map<string, ConversationPart>();
    const messageById = new Map<string, MessagePart>();
    if (perConversation.size > 0 || messageIds.length > 0) {
      const list = [...perConversation].sort(([a], [b]) => a.localeCompare(b));
      const [row] = await fixedRows<{ conversations: unknown; messages: unknown }>(tx, PARTS_SQL, [
        list.map(([id]) => id),
        list.map(([, { accountId }]) => accountId),
        list.map(([, { count }]) => count),
        messageIds,
      ]);
      for (const c of jsonRows<ConversationJson>(row?.conversations)) {
        nextSequence.set(c.id, c.crmSequence - (perConversation.get(c.id)?.count ?? 0) + 1);
        parts.set(c.id, {
          accountId: c.accountId,
          conversation: { id: c.id, igConversationId: c.igConversationId, createdAt: new Date(c.createdAt) },
          contact: c.contact,
        });
      }
      for (const m of jsonRows<MessageJson>(row?.messages)) {
        messageById.set(m.id, {
          ...m,
          sentAt: new Date(m.sentAt),
          readAt: dateOrNull(m.readAt),
          editedAt: dateOrNull(m.editedAt),
          deletedAt: dateOrNull(m.deletedAt),
        });
      }
    }

    const createdAt = now();
    const rows: DeliveryInsert[] = [];
    for (const event of events) {
      const account = forwarding.get(event.accountId);
      if (!account) continue;
      const id = newDeliveryId(createdAt);
      const occurredAt = event.occurredAt.toISOString();
      let data: Record<string, unknown>;
      let conversationId: string | null = null;
      let sequence: number | null = null;
      if (!('conversationId' in event)) {
        data = { account: presentCrmAccount(account), occurred_at: occurredAt };
      } else {
        conversationId = event.conversationId;
        const part = parts.get(event.conversationId);
        const next = nextSequence.get(event.conversationId);
        if (!part || next === undefined || part.accountId !== event.accountId) {
          throw new Error(`conversation ${event.conversationId} of account ${event.accountId} not found for a CRM event`);
        }
        sequence = next;
        nextSequence.set(event.conversationId, next + 1);
        data = {
          account: presentCrmAccount(account),
          conversation: presentCrmConversation(part.conversation),
          contact: presentCrmContact(part.contact),
          sequence,
          occurred_at: occurredAt,
        };
        if ('messageId' in event) {
          const message = messageById.get(event.messageId);
          if (!message || message.accountId !== event.accountId) throw new Error(`message ${event.messageId} of account ${event.accountId} not found for a CRM event`);
          data.message = presentCrmMessage(message);
        }
        if ('crm' in event && event.crm) Object.assign(data, event.crm);
        if ('reactor' in event) {
          data.reaction = { reactor: event.reactor, reaction: event.reaction, emoji: event.emoji };
        }
        if (event.type === 'conversation.labels_changed') {
          Object.assign(data, { labels: event.labels, added: event.added, removed: event.removed, actor: event.actor });
        }
      }
      rows.push({
        id,
        accountId: event.accountId,
        conversationId,
        eventType: event.type,
        sequence,
        payload: envelope(event.type, id, createdAt, data),
      });
    }
    const handed = handOver(tx, rows, forwarding, createdAt);
    const leaseUntil = handed.length === 0 ? null : (handed[0]?.claimed.lockedUntil ?? null);
    const claimedIds = new Set(handed.map((w) => w.claimed.id));
    await preparedRows(tx, 'crm_outbox_insert', INSERT_SQL, [
      rows.map((r) => r.id),
      rows.map((r) => r.accountId),
      rows.map((r) => r.conversationId),
      rows.map((r) => r.eventType),
      rows.map((r) => r.sequence),
      rows.map((r) => JSON.stringify(r.payload)),
      rows.map((r) => claimedIds.has(r.id)),
      createdAt.toISOString(),
      leaseUntil?.toISOString() ?? null,
      deps.handoff?.processId ?? null,
    ]);
    for (const row of rows) deps.metrics?.recorded(row.eventType);
  }

  /**
   * Which of `rows` this process's dispatcher takes straight after the commit (see `CrmOutboxDeps.handoff`), their
   * slots reserved until the transaction ends. Rows of an endpoint that is failing are never handed over: they
   * wait their turn behind its retries.
   */
  function handOver(tx: Db, rows: DeliveryInsert[], forwarding: Map<string, AccountRow>, createdAt: Date): ClaimedWork[] {
    const handoff = deps.handoff;
    if (!handoff) return [];
    const handed: ClaimedWork[] = [];
    const reservations = new Map<string, number>();
    const hooked = onTransactionEnd(tx, {
      committed: () => {
        handoff.dispatcher.launch(handed);
        if (handed.length < rows.length) handoff.dispatcher.poke();
      },
      rolledBack: () => {
        for (const [accountId, n] of reservations) handoff.dispatcher.release(accountId, n);
      },
    });
    if (!hooked) return [];
    const lockedUntil = new Date(createdAt.getTime() + handoff.leaseMs);
    for (const [accountId, group] of Map.groupBy(rows, (r) => r.accountId)) {
      const account = forwarding.get(accountId);
      if (!account || account.crmFailingSince !== null) continue;
      const n = handoff.dispatcher.reserve(accountId, group.length);
      if (n === 0) continue;
      reservations.set(accountId, n);
      for (const row of group.slice(0, n)) {
        handed.push({
          claimed: { id: row.id, accountId, attemptCount: 1, lockedUntil },
          delivery: { id: row.id, payload: row.payload, createdAt, status: 'pending' },
          account,
        });
      }
    }
    return handed;
  }

  return { record, flush };
}
