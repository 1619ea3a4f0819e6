import type { Clock } from '../clock.ts';
import { newConversationId, newMid } from '../ids.ts';
import type { SimConversation, SimMessage } from '../state/schema.ts';
import type { SimState } from '../state/store.ts';

/** Conversations are one thread per (professional account, customer); Instagram has no group chats (§4). */
export function ensureConversation(state: SimState, clock: Clock, accountId: string, customerId: string): SimConversation {
  const existing = state.conversationOf(accountId, customerId);
  if (existing) return existing;
  const now = clock.now();
  const conversation: SimConversation = {
    id: newConversationId(),
    accountId,
    customerId,
    createdAt: now,
    updatedAt: now,
    lastCustomerMessageAt: null,
  };
  state.data.conversations.push(conversation);
  return conversation;
}

export interface NewMessage {
  conversation: SimConversation;
  direction: SimMessage['direction'];
  source: SimMessage['source'];
  text?: string | null | undefined;
  attachments?: SimMessage['attachments'] | undefined;
  sentByAppId?: string | null | undefined;
  isUnsupported?: boolean | undefined;
}

export function recordMessage(state: SimState, clock: Clock, input: NewMessage): SimMessage {
  const now = clock.now();
  const { conversation } = input;
  const inbound = input.direction === 'inbound';
  const message: SimMessage = {
    mid: newMid(),
    conversationId: conversation.id,
    direction: input.direction,
    senderId: inbound ? conversation.customerId : conversation.accountId,
    recipientId: inbound ? conversation.accountId : conversation.customerId,
    text: input.text ?? null,
    attachments: input.attachments ?? [],
    createdAt: now,
    deleted: false,
    editCount: 0,
    isUnsupported: input.isUnsupported ?? false,
    source: input.source,
    sentByAppId: input.sentByAppId ?? null,
  };
  state.data.messages.push(message);
  conversation.updatedAt = now;
  if (inbound) conversation.lastCustomerMessageAt = now;
  return message;
}

/** A postback or referral also opens the messaging window and gives profile consent (§2, §4). */
export function markCustomerInteraction(conversation: SimConversation, now: number): void {
  conversation.lastCustomerMessageAt = now;
  conversation.updatedAt = now;
}
