import { randomBytes } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import type { InboxEvent } from '../inbox/inbox-events.ts';
import { accounts, conversations, crmDeliveries } from '../../db/schema/index.ts';
import type { CrmMetrics } from './crm-metrics.ts';
import {
  envelope,
  loadConversationParts,
  loadMessage,
  presentCrmAccount,
  presentCrmContact,
  presentCrmConversation,
  presentCrmMessage,
} from './crm-payload.ts';

/** What the inbox tells the CRM bridge (the one definition lives with the inbox). */
export type { InboxEvent };

export type CrmOutbox = {
  /**
   * Writes the CRM delivery of `event` inside the caller's transaction, so the inbox change and its delivery
   * commit together or not at all. Does nothing (one primary-key read) when the account forwards to no CRM.
   * The dispatcher picks the row up once it is committed and due.
   */
  record(tx: Db, event: InboxEvent): Promise<void>;
};

export type CrmOutboxDeps = {
  now?: () => Date;
  metrics?: Pick<CrmMetrics, 'recorded'>;
};

/** `msg_` + 12 hex digits of milliseconds + 20 random hex digits: unique, roughly time-ordered, header-safe. */
export function newDeliveryId(at: Date): string {
  return `msg_${at.getTime().toString(16).padStart(12, '0')}${randomBytes(10).toString('hex')}`;
}

export function createCrmOutbox(deps: CrmOutboxDeps = {}): CrmOutbox {
  const now = deps.now ?? (() => new Date());

  const accountCache = new WeakMap<Db, Map<string, typeof accounts.$inferSelect | null | undefined>>();

  async function record(tx: Db, event: InboxEvent): Promise<void> {
    // A queued send is not news for a CRM yet: it hears `message.sent` (or `message.updated` with the failure).
    if (event.type === 'message.queued') return;
    // One read of the account per transaction: a batch of a thousand events does not read it a thousand times.
    let perTx = accountCache.get(tx);
    if (!perTx) {
      perTx = new Map();
      accountCache.set(tx, perTx);
    }
    let account = perTx.get(event.accountId);
    if (account === undefined) {
      [account] = await tx.select().from(accounts).where(eq(accounts.id, event.accountId)).limit(1);
      perTx.set(event.accountId, account ?? null);
    }
    if (!account || account.crmWebhookUrl === null || account.crmDisabledAt !== null) return;

    const createdAt = now();
    const id = newDeliveryId(createdAt);
    const occurredAt = event.occurredAt.toISOString();
    let data: Record<string, unknown>;
    let conversationId: string | null = null;
    let sequence: number | null = null;

    if (!('conversationId' in event)) {
      data = { account: presentCrmAccount(account), occurred_at: occurredAt };
    } else {
      conversationId = event.conversationId;
      // Taking the next number locks the conversation row until the caller commits: numbers follow commit order.
      const [bumped] = await tx
        .update(conversations)
        .set({ crmSequence: sql`${conversations.crmSequence} + 1` })
        .where(and(eq(conversations.id, event.conversationId), eq(conversations.accountId, event.accountId)))
        .returning({ sequence: conversations.crmSequence });
      if (!bumped) throw new Error(`conversation ${event.conversationId} of account ${event.accountId} not found for a CRM event`);
      sequence = bumped.sequence;
      const parts = await loadConversationParts(tx, event.accountId, event.conversationId);
      data = {
        account: presentCrmAccount(account),
        conversation: presentCrmConversation(parts.conversation),
        contact: presentCrmContact(parts.contact),
        sequence,
        occurred_at: occurredAt,
      };
      if ('messageId' in event) {
        data.message = presentCrmMessage(await loadMessage(tx, event.accountId, event.messageId));
      }
      if ('reactor' in event) {
        data.reaction = { reactor: event.reactor, reaction: event.reaction, emoji: event.emoji };
      }
    }

    await tx.insert(crmDeliveries).values({
      id,
      accountId: event.accountId,
      conversationId,
      eventType: event.type,
      sequence,
      payload: envelope(event.type, id, createdAt, data),
      status: 'pending',
      nextAttemptAt: createdAt,
      createdAt,
    });
    deps.metrics?.recorded(event.type);
  }

  return { record };
}
