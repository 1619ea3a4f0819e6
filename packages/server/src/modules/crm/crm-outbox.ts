import { randomBytes } from 'node:crypto';
import { eq, inArray, sql } from 'drizzle-orm';
import { queryRows, sqlArray, type Db } from '../../db/client.ts';
import { onTransactionEnd } from '../../db/transaction.ts';
import { accountsByIdsIn } from '../accounts/accounts-in-transaction.ts';
import type { InboxEvent, InboxEventSink } from '../inbox/inbox-events.ts';
import { accounts, contacts, conversations, messages } from '../../db/schema/index.ts';
import type { DispatcherHandoff } from './crm-dispatcher.ts';
import type { CrmMetrics } from './crm-metrics.ts';
import {
  envelope,
  presentCrmAccount,
  presentCrmContact,
  presentCrmConversation,
  presentCrmMessage,
} from './crm-payload.ts';
import type { ClaimedWork } from './crm.repository.ts';

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
  handoff?: { dispatcher: DispatcherHandoff<ClaimedWork>; leaseMs: number };
};

type AccountRow = typeof accounts.$inferSelect;
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
    // A queued send is not news for a CRM yet: it hears `message.sent` (or `message.updated` with the failure).
    if (event.type === 'message.queued') return;
    const buffer = buffers.get(tx) ?? [];
    buffer.push(event);
    buffers.set(tx, buffer);
  }

  /**
   * Writes the transaction's deliveries set-wise: one read of the accounts, one update numbering them per
   * conversation, one read of the conversations with their contacts, one of the messages, one insert.
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
    const nextSequence = new Map<string, number>();
    const parts = new Map<string, { conversation: typeof conversations.$inferSelect; contact: typeof contacts.$inferSelect }>();
    if (perConversation.size > 0) {
      const list = [...perConversation].sort(([a], [b]) => a.localeCompare(b));
      const bumped = await queryRows<{ id: string; crm_sequence: string | number }>(
        tx,
        sql`update conversations c set crm_sequence = c.crm_sequence + v.n
            from (values ${sql.join(
              list.map(([id, { accountId, count }]) => sql`(${id}::uuid, ${accountId}::uuid, ${count}::int)`),
              sql`, `,
            )}) as v(id, account_id, n)
            where c.id = v.id and c.account_id = v.account_id
            returning c.id, c.crm_sequence`,
      );
      for (const row of bumped) nextSequence.set(row.id, Number(row.crm_sequence) - (perConversation.get(row.id)?.count ?? 0) + 1);
      const rows = await tx
        .select({ conversation: conversations, contact: contacts })
        .from(conversations)
        .innerJoin(contacts, eq(contacts.id, conversations.contactId))
        .where(inArray(conversations.id, list.map(([id]) => id)));
      for (const row of rows) parts.set(row.conversation.id, row);
    }
    const messageIds = [...new Set(events.flatMap((e) => ('messageId' in e ? [e.messageId] : [])))];
    const messageRows = messageIds.length === 0 ? [] : await tx.select().from(messages).where(inArray(messages.id, messageIds));
    const messageById = new Map(messageRows.map((m) => [m.id, m]));

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
        if (!part || next === undefined || part.conversation.accountId !== event.accountId) {
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
        if ('reactor' in event) {
          data.reaction = { reactor: event.reactor, reaction: event.reaction, emoji: event.emoji };
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
    await tx.execute(sql`
      insert into crm_deliveries (id, account_id, conversation_id, event_type, sequence, payload, status, next_attempt_at, created_at,
        attempt_count, locked_until, last_attempt_at)
      select id, account_id, conversation_id, event_type, sequence, payload, 'pending', ${createdAt.toISOString()}::timestamptz, ${createdAt.toISOString()}::timestamptz,
        case when claimed then 1 else 0 end, case when claimed then ${leaseUntil?.toISOString() ?? null}::timestamptz end,
        case when claimed then ${createdAt.toISOString()}::timestamptz end
      from unnest(${sqlArray(rows.map((r) => r.id), 'text[]')}, ${sqlArray(rows.map((r) => r.accountId), 'uuid[]')},
        ${sqlArray(rows.map((r) => r.conversationId), 'uuid[]')}, ${sqlArray(rows.map((r) => r.eventType), 'text[]')},
        ${sqlArray(rows.map((r) => r.sequence), 'bigint[]')}, ${sqlArray(rows.map((r) => JSON.stringify(r.payload)), 'jsonb[]')},
        ${sqlArray(rows.map((r) => claimedIds.has(r.id)), 'bool[]')})
        as v(id, account_id, conversation_id, event_type, sequence, payload, claimed)`);
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
