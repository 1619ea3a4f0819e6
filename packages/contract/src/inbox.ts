import { z } from 'zod';
import { conversationAssigneeFilterSchema, conversationStatusFilterSchema, conversationStatusSchema, teammateSchema } from './workflow.ts';

/** Meta's limits that the API enforces before Meta has to. */
export const MESSAGE_TEXT_MAX_BYTES = 1000;
export const WINDOW_HOURS = 24;
export const HUMAN_AGENT_WINDOW_DAYS = 7;
export const QUICK_REPLIES_MAX = 13;
export const QUICK_REPLY_TITLE_MAX = 20;

export const utf8Bytes = (text: string) => new TextEncoder().encode(text).length;

export const windowStateSchema = z.object({
  /** open: plain messages; human_agent: only a person's reply, tagged HUMAN_AGENT; closed: nothing can be sent. */
  state: z.enum(['open', 'human_agent', 'closed']),
  /** When the 24-hour window closes (or closed); null when the customer never wrote. */
  closes_at: z.string().nullable(),
  /** When the 7-day HUMAN_AGENT window closes; null when the feature is off or the customer never wrote. */
  human_agent_until: z.string().nullable(),
});
export type WindowState = z.infer<typeof windowStateSchema>;

export const contactSchema = z.object({
  id: z.string(),
  igsid: z.string(),
  username: z.string().nullable(),
  name: z.string().nullable(),
  avatar_url: z.string().nullable(),
  follower_count: z.number().nullable(),
  is_user_follow_business: z.boolean().nullable(),
});
export type Contact = z.infer<typeof contactSchema>;

export const conversationSchema = z.object({
  id: z.string(),
  account_id: z.string(),
  contact: contactSchema,
  last_message: z
    .object({ id: z.string().nullable(), preview: z.string(), direction: z.enum(['inbound', 'outbound']).nullable(), at: z.string() })
    .nullable(),
  unread_count: z.number(),
  needs_reply: z.boolean(),
  window: windowStateSchema,
  seen_at: z.string().nullable(),
  /** open, snoozed (until `snoozed_until`) or done; a new message from the customer opens it again */
  status: conversationStatusSchema,
  snoozed_until: z.string().nullable(),
  /** the teammate who owns it; null when unassigned */
  assignee: teammateSchema.nullable(),
  updated_at: z.string(),
  /** who owns the conversation; null: unassigned */
  assignee_user_id: z.string().nullable(),
  /** the account's labels set on this conversation, by name */
  labels: z.array(z.object({ id: z.string(), name: z.string(), color: z.string() })),
});
export type Conversation = z.infer<typeof conversationSchema>;

/** `account`: the session's current account (an API key's account); `all`: every account the signed-in user belongs to. */
export const inboxScopeSchema = z.enum(['account', 'all']);
export type InboxScope = z.infer<typeof inboxScopeSchema>;

/** The inbox's quick filters: every conversation, those with unread messages, those waiting for a reply. */
export const CONVERSATION_FILTERS = ['all', 'unread', 'needs_reply'] as const;
export const conversationFilterSchema = z.enum(CONVERSATION_FILTERS);
export type ConversationFilter = z.infer<typeof conversationFilterSchema>;

export const conversationListQuerySchema = z.object({
  scope: inboxScopeSchema.default('account'),
  filter: conversationFilterSchema.default('all'),
  /** default: open conversations only */
  status: conversationStatusFilterSchema.default('open'),
  /** mine, unassigned, or a teammate's user id */
  assignee: conversationAssigneeFilterSchema.optional(),
  /** only conversations carrying this label */
  label_id: z.uuid().optional(),
  q: z.string().trim().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(30),
  cursor: z.string().max(200).optional(),
});
export const conversationListSchema = z.object({ conversations: z.array(conversationSchema), next_cursor: z.string().nullable() });

export const attachmentSchema = z.object({
  type: z.string(),
  /** Threadline's own copy when mirrored or uploaded (a signed-in route), else null. */
  url: z.string().nullable(),
  /** Meta's original URL (expires within days). */
  original_url: z.string().nullable(),
  media_id: z.string().nullable(),
  media_status: z.enum(['pending', 'stored', 'failed', 'skipped', 'deleted']).nullable(),
  title: z.string().nullable(),
});

export const messageStatusSchema = z.enum(['received', 'queued', 'sending', 'sent', 'read', 'failed', 'unknown']);
export const messageAuthorSchema = z.object({
  type: z.enum(['contact', 'user', 'api_key', 'instagram_app', 'system']),
  id: z.string().nullable(),
  name: z.string().nullable(),
});

export const messageSchema = z.object({
  id: z.string(),
  conversation_id: z.string(),
  mid: z.string().nullable(),
  direction: z.enum(['inbound', 'outbound']),
  author: messageAuthorSchema,
  kind: z.string(),
  text: z.string().nullable(),
  attachments: z.array(attachmentSchema),
  reply_to: z
    .object({ mid: z.string().nullable(), message_id: z.string().nullable(), text: z.string().nullable(), story: z.object({ id: z.string().nullable(), url: z.string().nullable() }).nullable() })
    .nullable(),
  quick_reply_payload: z.string().nullable(),
  referral: z.record(z.string(), z.unknown()).nullable(),
  postback: z.object({ title: z.string().nullable(), payload: z.string().nullable() }).nullable(),
  reactions: z.array(z.object({ reactor: z.enum(['contact', 'business']), reaction: z.string().nullable(), emoji: z.string().nullable() })),
  status: messageStatusSchema,
  error: z.object({ code: z.number().nullable(), subcode: z.number().nullable(), message: z.string().nullable() }).nullable(),
  human_agent: z.boolean(),
  sent_at: z.string(),
  read_at: z.string().nullable(),
  edited: z.boolean(),
  /** an edit came without its text (§3.7): `pending` while it is read from Instagram; `unavailable`: "edited (text unavailable)" */
  edit_text_state: z.enum(['pending', 'unavailable']).nullable(),
  deleted: z.boolean(),
  /** content Instagram does not show through its API (the flag, or an `unsupported_type` attachment) */
  unsupported: z.boolean(),
});
export type Message = z.infer<typeof messageSchema>;

export const messageListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
});
export const messageListSchema = z.object({ messages: z.array(messageSchema), next_cursor: z.string().nullable() });

const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .max(2048);

export const quickReplySchema = z.union([
  z.strictObject({
    content_type: z.literal('text'),
    title: z.string().min(1).max(QUICK_REPLY_TITLE_MAX),
    payload: z.string().min(1).max(1000),
  }),
  z.strictObject({ content_type: z.enum(['user_phone_number', 'user_email']) }),
]);

/** What a person (inbox) or a CRM (API) may send. Exactly one of text / attachment / sticker. */
export const sendMessageBodySchema = z
  .strictObject({
    text: z.string().optional(),
    attachment: z
      .union([
        z.strictObject({ type: z.enum(['image', 'video', 'audio', 'file']), url: httpUrl }),
        z.strictObject({ type: z.enum(['image', 'video', 'audio', 'file']), upload_id: z.uuid() }),
      ])
      .optional(),
    sticker: z.literal('like_heart').optional(),
    quick_replies: z.array(quickReplySchema).min(1).max(QUICK_REPLIES_MAX).optional(),
    reply_to_message_id: z.uuid().optional(),
    /** API callers only: declare that a person wrote this reply (allows HUMAN_AGENT after 24 h, up to 7 days). */
    human_agent: z.boolean().optional(),
  })
  .superRefine((b, ctx) => {
    const kinds = [b.text !== undefined, b.attachment !== undefined, b.sticker !== undefined].filter(Boolean).length;
    if (kinds !== 1) ctx.addIssue({ code: 'custom', message: 'send exactly one of text, attachment or sticker' });
    if (b.text !== undefined) {
      if (b.text.trim().length === 0) ctx.addIssue({ code: 'custom', path: ['text'], message: 'text is empty' });
      const bytes = utf8Bytes(b.text);
      if (bytes > MESSAGE_TEXT_MAX_BYTES) {
        ctx.addIssue({ code: 'custom', path: ['text'], message: `text is ${bytes} bytes; Instagram allows at most ${MESSAGE_TEXT_MAX_BYTES} bytes (UTF-8)` });
      }
    }
    if (b.quick_replies && b.text === undefined) ctx.addIssue({ code: 'custom', path: ['quick_replies'], message: 'quick replies go with a text' });
  });
export type SendMessageBody = z.infer<typeof sendMessageBodySchema>;

/** `POST /api/v1/messages` (API key): names the conversation, or the contact by IGSID. */
export const apiSendMessageBodySchema = z.intersection(
  z.union([z.object({ conversation_id: z.uuid() }), z.object({ recipient_igsid: z.string().regex(/^\d{1,32}$/) })]),
  z.record(z.string(), z.unknown()),
);

export const reactionBodySchema = z.strictObject({ reaction: z.string().min(1).max(32).default('love') });
export const senderActionBodySchema = z.strictObject({ action: z.enum(['typing_on', 'typing_off', 'mark_seen']) });

/** `GET /api/v1/ui/unread`: per account of the user, how many conversations have unread messages, and the sum. */
export const unreadCountsSchema = z.object({
  accounts: z.array(z.object({ account_id: z.string(), unread_conversations: z.number().int() })),
  total: z.number().int(),
});
export type UnreadCounts = z.infer<typeof unreadCountsSchema>;

/** The live-update stream (`GET /api/v1/ui/events`, server-sent events). */
export const realtimeEventSchema = z.object({
  id: z.number(),
  type: z.string(),
  account_id: z.string(),
  conversation_id: z.string().nullable(),
  message_id: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
});
export type RealtimeEvent = z.infer<typeof realtimeEventSchema>;
