import type { EventWriter, UnitOfWork, UnitsOfWork } from '../db/unit-of-work.ts';

/** A label as events show it. */
export type EventLabel = { id: string; name: string; color: string };
/** Who made a change that a person or a CRM made (not Instagram). */
export type EventActor = { type: 'user' | 'api_key'; id: string };

/** A change in the inbox that others (CRM delivery, live updates) want to hear of, recorded inside the change's transaction. */
export type InboxEvent =
  | {
      type: 'message.received' | 'message.queued' | 'message.sent' | 'message.updated' | 'message.deleted';
      accountId: string;
      conversationId: string;
      messageId: string;
      occurredAt: Date;
    }
  | {
      type: 'reaction.added' | 'reaction.removed';
      accountId: string;
      conversationId: string;
      messageId: string;
      reactor: 'contact' | 'business';
      reaction: string | null;
      emoji: string | null;
      occurredAt: Date;
    }
  | { type: 'conversation.created'; accountId: string; conversationId: string; occurredAt: Date }
  | TeamEvent
  | {
      type: 'conversation.labels_changed';
      accountId: string;
      conversationId: string;
      /** the labels it carries now, and what this change added and removed */
      labels: EventLabel[];
      added: EventLabel[];
      removed: EventLabel[];
      actor: EventActor;
      occurredAt: Date;
    }
  | {
      type: 'account.connected' | 'account.reauth_required' | 'account.disconnected';
      accountId: string;
      occurredAt: Date;
    };

/**
 * How the team works a conversation (status, assignee, notes, presence). A CRM hears those of CRM_EVENT_TYPES, with
 * `crm` added to the conversation's payload; a live update carries `live` beside the presented conversation.
 */
export type TeamEvent = {
  type: 'conversation.status_changed' | 'conversation.assigned' | 'note.created' | 'note.updated' | 'note.deleted' | 'note.mentioned' | 'presence.updated';
  accountId: string;
  conversationId: string;
  occurredAt: Date;
  crm?: Record<string, unknown>;
  /** Small (a notification holds 25 events in PostgreSQL's 8,000 bytes): ids, a status, a name; never a note's text. */
  live?: Record<string, unknown>;
};

/**
 * Writes the inbox events of a unit of work in the same transaction as the change (the CRM outbox, the live-update
 * log), just before it commits or when the writer asks (`recordAll`).
 */
export type InboxEventSink = EventWriter<InboxEvent>;
/** A transaction that records inbox events (db/unit-of-work.ts). */
export type InboxUnitOfWork = UnitOfWork<InboxEvent>;
/** Opens `InboxUnitOfWork`s: the one way to open a transaction. */
export type InboxUnitsOfWork = UnitsOfWork<InboxEvent>;

/** Records events and, unless told not to, has the sinks write them now (writers that make one change per transaction). */
export async function recordAll(uow: InboxUnitOfWork, events: readonly InboxEvent[], opts: { flush?: boolean } = {}): Promise<void> {
  uow.record(...events);
  if (opts.flush !== false) await uow.flush();
}
