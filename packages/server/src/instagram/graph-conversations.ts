import { z } from 'zod';
import type { GraphCaller } from './graph-caller.ts';
import { graphIdSchema, nextCursor, pagingSchema } from './graph-schemas.ts';
import { parseAnswer } from './graph-transport.ts';
import type { GraphUsage } from './graph-usage.ts';

/**
 * The Conversations API (§5), 2 calls per second per account. Lists page with Graph cursors: pass a result's
 * `nextCursor` as `after`; it is null on the last page. Only the 20 most recent messages of a conversation can be
 * read in detail.
 */

export interface ConversationSummary {
  id: string;
  /** ISO-like Graph time, e.g. `2022-07-12T19:11:07+0000`. */
  updatedTime: string | null;
}

export interface Party {
  id: string;
  username: string | null;
}

export interface MessageSummary {
  id: string;
  createdTime: string | null;
  from: Party | null;
  to: Party[];
  isUnsupported: boolean;
}

export interface MessageAttachment {
  kind: 'image' | 'video' | 'file' | 'other';
  url: string | null;
  previewUrl: string | null;
}

export interface MessageDetail extends MessageSummary {
  /** Meta sends an empty string for a message without text. */
  text: string | null;
  attachments: MessageAttachment[];
  usage: GraphUsage;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
  usage: GraphUsage;
}

const partySchema = z.object({ id: graphIdSchema, username: z.string().nullable().optional() });
const toSchema = z.object({ data: z.array(partySchema) }).optional();
const conversationListSchema = z.object({
  data: z.array(z.object({ id: graphIdSchema, updated_time: z.string().optional() })),
  paging: pagingSchema,
});
const messageFieldsSchema = z.object({
  id: z.string().min(1),
  created_time: z.string().optional(),
  from: partySchema.optional(),
  to: toSchema,
  is_unsupported: z.boolean().optional(),
});
const conversationMessagesSchema = z.object({
  id: z.string(),
  messages: z.object({ data: z.array(messageFieldsSchema), paging: pagingSchema }).optional(),
});
const mediaDataSchema = z.object({ url: z.string().optional(), preview_url: z.string().optional() }).optional();
const attachmentSchema = z.object({
  image_data: mediaDataSchema,
  video_data: mediaDataSchema,
  file_url: z.string().optional(),
});
const messageDetailSchema = messageFieldsSchema.extend({
  message: z.string().optional(),
  attachments: z.object({ data: z.array(attachmentSchema) }).optional(),
});

const MESSAGE_LIST_FIELDS = 'id,created_time,from,to,is_unsupported';
const MESSAGE_DETAIL_FIELDS = 'id,created_time,from,to,message,attachments';

const partyOf = (p: z.infer<typeof partySchema>): Party => ({ id: p.id, username: p.username || null });

function summaryOf(m: z.infer<typeof messageFieldsSchema>): MessageSummary {
  return {
    id: m.id,
    createdTime: m.created_time ?? null,
    from: m.from ? partyOf(m.from) : null,
    to: (m.to?.data ?? []).map(partyOf),
    isUnsupported: m.is_unsupported ?? false,
  };
}

function attachmentOf(a: z.infer<typeof attachmentSchema>): MessageAttachment {
  if (a.image_data) return { kind: 'image', url: a.image_data.url ?? null, previewUrl: a.image_data.preview_url ?? null };
  if (a.video_data) return { kind: 'video', url: a.video_data.url ?? null, previewUrl: a.video_data.preview_url ?? null };
  if (a.file_url) return { kind: 'file', url: a.file_url, previewUrl: null };
  return { kind: 'other', url: null, previewUrl: null };
}

const limitParam = (limit: number | undefined) => (limit === undefined ? undefined : String(Math.max(1, Math.floor(limit))));

export function createConversationCalls(graph: GraphCaller) {
  return {
    /**
     * The account's threads, most recently updated first; `userId` (an IGSID) finds the thread with one person.
     * `node`: `me` (the token's account), or the Page id on graph.facebook.com.
     */
    async listConversations(
      token: string,
      options: { userId?: string; after?: string; limit?: number; node?: string } = {},
    ): Promise<Page<ConversationSummary>> {
      const answer = await graph.get(token, `/${encodeURIComponent(options.node ?? 'me')}/conversations`, {
        platform: 'instagram',
        fields: 'id,updated_time',
        user_id: options.userId,
        after: options.after,
        limit: limitParam(options.limit),
      });
      const list = parseAnswer(conversationListSchema, answer);
      return {
        items: list.data.map((c) => ({ id: c.id, updatedTime: c.updated_time ?? null })),
        nextCursor: nextCursor(list.paging),
        usage: answer.usage,
      };
    },

    /** A thread's messages, newest first (ids, times, parties; read the text with getMessage). */
    async getConversationMessages(
      token: string,
      conversationId: string,
      options: { after?: string; limit?: number } = {},
    ): Promise<Page<MessageSummary>> {
      const answer = await graph.get(token, `/${encodeURIComponent(conversationId)}`, {
        fields: `messages{${MESSAGE_LIST_FIELDS}}`,
        after: options.after,
        limit: limitParam(options.limit),
      });
      const conversation = parseAnswer(conversationMessagesSchema, answer);
      return {
        items: (conversation.messages?.data ?? []).map(summaryOf),
        nextCursor: nextCursor(conversation.messages?.paging),
        usage: answer.usage,
      };
    },

    /** One message in detail; older than the 20 most recent of its thread, Meta answers an error. */
    async getMessage(token: string, messageId: string): Promise<MessageDetail> {
      const answer = await graph.get(token, `/${encodeURIComponent(messageId)}`, { fields: MESSAGE_DETAIL_FIELDS });
      const m = parseAnswer(messageDetailSchema, answer);
      return {
        ...summaryOf(m),
        text: m.message ? m.message : null,
        attachments: (m.attachments?.data ?? []).map(attachmentOf),
        usage: answer.usage,
      };
    },
  };
}
