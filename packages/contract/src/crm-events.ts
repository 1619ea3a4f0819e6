import { z } from 'zod';
import { actorSchema, conversationStatusSchema, teammateSchema } from './workflow.ts';

/**
 * The events Threadline delivers to a customer's CRM webhook, version 1. Every payload is self-contained:
 * the receiver needs no API call to make sense of it. Our ids (uuid) and Instagram's ids stand side by side.
 * Additive changes (a new optional field, a new event type) keep the version; anything else makes version 2.
 */
export const CRM_EVENT_VERSION = 1;

export const CRM_EVENT_TYPES = [
  'message.received',
  'message.sent',
  'message.updated',
  'message.deleted',
  'reaction.added',
  'reaction.removed',
  'conversation.created',
  'conversation.status_changed',
  'conversation.assigned',
  'note.created',
  'conversation.labels_changed',
  'account.connected',
  'account.reauth_required',
  'account.disconnected',
  'ping',
] as const;
export const crmEventTypeSchema = z.enum(CRM_EVENT_TYPES);
export type CrmEventType = z.infer<typeof crmEventTypeSchema>;

const isoDate = z.iso.datetime({ offset: true });

export const crmAccountSchema = z.object({
  id: z.uuid(),
  /** the Instagram professional account id (webhooks' `entry[].id`) */
  ig_user_id: z.string(),
  username: z.string(),
  status: z.enum(['active', 'reauth_required', 'disconnected']),
});

export const crmContactSchema = z.object({
  id: z.uuid(),
  /** the Instagram-scoped id of the customer */
  igsid: z.string(),
  username: z.string().nullable(),
  name: z.string().nullable(),
});

export const crmConversationSchema = z.object({
  id: z.uuid(),
  ig_conversation_id: z.string().nullable(),
  created_at: isoDate,
});

export const crmAttachmentSchema = z.object({
  type: z.string(),
  url: z.string().nullable(),
});

export const crmMessageSchema = z.object({
  id: z.uuid(),
  /** Meta's message id; null while an outbound message is still queued */
  mid: z.string().nullable(),
  direction: z.enum(['inbound', 'outbound']),
  /** who wrote it: the contact, a Threadline user, an API key (a CRM), the Instagram app, or the system */
  author_type: z.enum(['contact', 'user', 'api_key', 'instagram_app', 'system']),
  kind: z.string(),
  text: z.string().nullable(),
  attachments: z.array(crmAttachmentSchema),
  reply_to_mid: z.string().nullable(),
  status: z.enum(['received', 'queued', 'sending', 'sent', 'read', 'failed', 'unknown']),
  /** Meta's timestamp of the message */
  sent_at: isoDate,
  read_at: isoDate.nullable(),
  edited_at: isoDate.nullable(),
  deleted_at: isoDate.nullable(),
  /** an edit came without its text (§3.7): `pending` while Threadline reads it from Instagram, `unavailable` if it could not */
  edit_text_state: z.enum(['pending', 'unavailable']).nullable(),
  /** content Instagram does not show through its API: "unsupported message (open Instagram to see it)" */
  unsupported: z.boolean(),
});

export const crmReactionSchema = z.object({
  reactor: z.enum(['contact', 'business']),
  /** Meta's reaction name (`love`, …); null on removal */
  reaction: z.string().nullable(),
  emoji: z.string().nullable(),
});

const envelope = <T extends CrmEventType, D extends z.ZodType>(type: T, data: D) =>
  z.object({
    type: z.literal(type),
    version: z.literal(CRM_EVENT_VERSION),
    /** the event id; also the `webhook-id` header, the same on every retry: the receiver's idempotency key */
    id: z.string().min(1),
    created_at: isoDate,
    data,
  });

const order = {
  /** increases by one per event of a conversation: receivers order what arrives out of order by it */
  sequence: z.number().int().positive(),
  /** Meta's time of what happened */
  occurred_at: isoDate,
};

const messageData = z.object({
  account: crmAccountSchema,
  conversation: crmConversationSchema,
  contact: crmContactSchema,
  message: crmMessageSchema,
  ...order,
});
const reactionData = messageData.extend({ reaction: crmReactionSchema });
const conversationData = z.object({
  account: crmAccountSchema,
  conversation: crmConversationSchema,
  contact: crmContactSchema,
  ...order,
});
export const crmLabelSchema = z.object({ id: z.uuid(), name: z.string(), color: z.string() });
/** who made a change: a Threadline user or an API key (by id) */
export const crmActorSchema = z.object({ type: z.enum(['user', 'api_key']), id: z.uuid() });
const labelsChangedData = conversationData.extend({
  /** the labels the conversation carries now */
  labels: z.array(crmLabelSchema),
  added: z.array(crmLabelSchema),
  removed: z.array(crmLabelSchema),
  actor: crmActorSchema,
});
const accountData = z.object({ account: crmAccountSchema, occurred_at: isoDate });
/** A conversation's status changed: by a person, an API key, the customer's new message (reopened) or its snooze ending. */
const statusChangedData = conversationData.extend({
  status: conversationStatusSchema,
  previous_status: conversationStatusSchema,
  /** when a snoozed conversation opens again by itself; null unless `status` is snoozed */
  snoozed_until: isoDate.nullable(),
  changed_by: actorSchema,
});
/** Assigned, reassigned or unassigned (`assignee` null). */
const assignedData = conversationData.extend({
  assignee: teammateSchema.nullable(),
  previous_assignee: teammateSchema.nullable(),
  changed_by: actorSchema,
});
export const crmNoteSchema = z.object({
  id: z.uuid(),
  text: z.string(),
  author: actorSchema,
  created_at: isoDate,
});
const noteData = conversationData.extend({ note: crmNoteSchema });

export const crmMessageReceivedSchema = envelope('message.received', messageData);
export const crmMessageSentSchema = envelope('message.sent', messageData);
export const crmMessageUpdatedSchema = envelope('message.updated', messageData);
export const crmMessageDeletedSchema = envelope('message.deleted', messageData);
export const crmReactionAddedSchema = envelope('reaction.added', reactionData);
export const crmReactionRemovedSchema = envelope('reaction.removed', reactionData);
export const crmConversationCreatedSchema = envelope('conversation.created', conversationData);
export const crmConversationStatusChangedSchema = envelope('conversation.status_changed', statusChangedData);
export const crmConversationAssignedSchema = envelope('conversation.assigned', assignedData);
export const crmNoteCreatedSchema = envelope('note.created', noteData);
export const crmConversationLabelsChangedSchema = envelope('conversation.labels_changed', labelsChangedData);
export const crmAccountConnectedSchema = envelope('account.connected', accountData);
export const crmAccountReauthRequiredSchema = envelope('account.reauth_required', accountData);
export const crmAccountDisconnectedSchema = envelope('account.disconnected', accountData);
export const crmPingSchema = envelope('ping', accountData.extend({ message: z.string() }));

export const crmEventSchema = z.discriminatedUnion('type', [
  crmMessageReceivedSchema,
  crmMessageSentSchema,
  crmMessageUpdatedSchema,
  crmMessageDeletedSchema,
  crmReactionAddedSchema,
  crmReactionRemovedSchema,
  crmConversationCreatedSchema,
  crmConversationStatusChangedSchema,
  crmConversationAssignedSchema,
  crmNoteCreatedSchema,
  crmConversationLabelsChangedSchema,
  crmAccountConnectedSchema,
  crmAccountReauthRequiredSchema,
  crmAccountDisconnectedSchema,
  crmPingSchema,
]);
export type CrmEvent = z.infer<typeof crmEventSchema>;
export type CrmAccount = z.infer<typeof crmAccountSchema>;
export type CrmContact = z.infer<typeof crmContactSchema>;
export type CrmConversation = z.infer<typeof crmConversationSchema>;
export type CrmMessage = z.infer<typeof crmMessageSchema>;
