import { randomBytes } from 'node:crypto';
import { CRM_EVENT_TYPES } from '@threadline/contract';
import { accountsByIdsIn, accountsLockedIn } from '../../accounts/accounts-in-transaction.ts';
import type { InboxEvent, InboxEventSink, InboxUnitOfWork } from '../../../events/inbox-events.ts';
import type { AccountRow } from '../../accounts/accounts.repository.ts';
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
import { crmOutboxRepository, type DeliveryInsert } from './crm-outbox.repository.ts';

const CRM_TYPES: ReadonlySet<string> = new Set(CRM_EVENT_TYPES);

/** What the inbox tells the CRM bridge (the one definition lives with the inbox). */
export type { InboxEvent };

/**
 * Writes the CRM deliveries of the events a unit of work recorded, in it (before it commits), so the inbox change and
 * its deliveries commit together or not at all. An account that forwards to no CRM costs one primary-key read per
 * flush. The dispatcher picks the rows up once they are committed and due.
 */
export type CrmOutbox = InboxEventSink;

export type CrmOutboxDeps = {
  now?: () => Date;
  metrics?: Pick<CrmMetrics, 'recorded'>;
  /**
   * This process's dispatcher. Deliveries to a healthy endpoint that it has room for are written already claimed by
   * it, for `leaseMs`, and handed to it after the commit: no claim query, no wait for a poll. The others are claimed
   * as usual (the dispatcher is poked after the commit). Where it does not run (`serve --no-workers`), or there is
   * none, the deliveries are announced (CRM_CHANNEL) to the processes that deliver.
   */
  handoff?: { dispatcher: DispatcherHandoff<ClaimedWork>; leaseMs: number; processId: string };
};

type ConversationPart = { accountId: string; conversation: CrmConversationSource; contact: CrmContactSource };
type MessagePart = CrmMessageSource & { accountId: string };
type ConversationJson = { id: string; accountId: string; igConversationId: string | null; createdAt: number; crmSequence: number; contact: CrmContactSource };
type MessageJson = Omit<MessagePart, 'sentAt' | 'readAt' | 'editedAt' | 'deletedAt'> & {
  sentAt: number;
  readAt: number | null;
  editedAt: number | null;
  deletedAt: number | null;
};

/** A JSON array column: parsed by either driver already, or its text. */
function jsonRows<T>(value: unknown): T[] {
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  return Array.isArray(parsed) ? (parsed as T[]) : [];
}
const dateOrNull = (ms: number | null) => (ms === null ? null : new Date(ms));

/** `msg_` + 12 hex digits of milliseconds + 20 random hex digits: unique, roughly time-ordered, header-safe. */
export function newDeliveryId(at: Date): string {
  return `msg_${at.getTime().toString(16).padStart(12, '0')}${randomBytes(10).toString('hex')}`;
}

export function createCrmOutbox(deps: CrmOutboxDeps = {}): CrmOutbox {
  const now = deps.now ?? (() => new Date());

  /**
   * Writes the unit's deliveries set-wise: the accounts (usually kept from the batch's own read), one statement
   * numbering them per conversation and reading what their payloads show, one insert.
   */
  async function write(uow: InboxUnitOfWork, recorded: readonly InboxEvent[]): Promise<void> {
    // A queued send is not news for a CRM yet: it hears `message.sent` (or `message.updated` with the failure). Nor
    // are a note's edits, mentions or who has a thread open: a CRM hears only the types of the contract.
    const buffered = recorded.filter((e) => CRM_TYPES.has(e.type));
    if (buffered.length === 0) return;

    const accountIds = [...new Set(buffered.map((e) => e.accountId))];
    const read = await accountsByIdsIn(uow, accountIds);
    // An endpoint read as failing may have come back since (another transaction's probe succeeded): read it again,
    // locked, so the answer holds until this commit. Either that probe's transaction has committed, and the rows go to
    // the endpoint as the new events they are, or it waits for this one, and the release it makes then sees them and
    // puts them ahead of the backlog (crm.repository.ts `putRecentAhead`). Read unlocked, rows written across its
    // commit queued behind the whole backlog (bench:crm's outage run: seconds, in the first second after the return).
    const failing = new Set(read.filter((a) => a.crmFailingSince !== null && a.crmWebhookUrl !== null && a.crmDisabledAt === null).map((a) => a.id));
    const accountRows = failing.size === 0 ? read : [...read.filter((a) => !failing.has(a.id)), ...(await accountsLockedIn(uow, [...failing]))];
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
      const row = await crmOutboxRepository.parts(
        uow.tx,
        list.map(([id, { accountId, count }]) => ({ id, accountId, count })),
        messageIds,
      );
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
    const handed = handOver(uow, rows, forwarding, createdAt);
    const leaseUntil = handed.length === 0 ? null : (handed[0]?.claimed.lockedUntil ?? null);
    const claimed = { ids: new Set(handed.map((w) => w.claimed.id)), leaseUntil, processId: deps.handoff?.processId ?? null };
    // what this process's dispatcher does not take, and will not claim (`serve --no-workers` hands over what it has
    // room for and claims nothing), is announced to the processes that claim
    const claimsHere = deps.handoff?.dispatcher.claiming() ?? false;
    const announce = !claimsHere && handed.length < rows.length;
    await crmOutboxRepository.insert(uow.tx, rows, claimed, createdAt, announce);
    for (const row of rows) deps.metrics?.recorded(row.eventType);
  }

  /**
   * Which of `rows` this process's dispatcher takes straight after the commit (see `CrmOutboxDeps.handoff`), their
   * slots reserved until the unit of work ends. Rows of an endpoint that is failing are never handed over: they
   * wait their turn behind its retries.
   */
  function handOver(uow: InboxUnitOfWork, rows: DeliveryInsert[], forwarding: Map<string, AccountRow>, createdAt: Date): ClaimedWork[] {
    const handoff = deps.handoff;
    if (!handoff) return [];
    const handed: ClaimedWork[] = [];
    const reservations = new Map<string, number>();
    uow.afterCommit(() => {
      handoff.dispatcher.launch(handed);
      // the rest was written unclaimed: this process's claim looks now (one that only hands over announced them)
      if (handed.length < rows.length) handoff.dispatcher.poke();
    });
    uow.onRollback(() => {
      for (const [accountId, n] of reservations) handoff.dispatcher.release(accountId, n);
    });
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

  return { write };
}
