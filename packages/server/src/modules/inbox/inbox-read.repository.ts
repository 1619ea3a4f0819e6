import { and, desc, eq, gt, inArray, isNotNull, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { apiKeys, contacts, conversations, mediaObjects, messageReactions, messages, users } from '../../db/schema/index.ts';

export type ConversationRow = { conversation: typeof conversations.$inferSelect; contact: typeof contacts.$inferSelect };
export type MessageRow = typeof messages.$inferSelect;

/** Keyset cursors: the (time, id) of the last row of a page, opaque to clients. */
export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(JSON.stringify([at.toISOString(), id])).toString('base64url');
}
export function decodeCursor(cursor: string | undefined): { at: Date; id: string } | null {
  if (!cursor) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || typeof value[0] !== 'string' || typeof value[1] !== 'string') return null;
    const at = new Date(value[0]);
    if (Number.isNaN(at.getTime()) || !/^[0-9a-f-]{36}$/.test(value[1])) return null;
    return { at, id: value[1] };
  } catch {
    return null;
  }
}

const likePattern = (q: string) => `%${q.toLowerCase().replaceAll('\\', '\\\\').replaceAll('%', '\\%').replaceAll('_', '\\_')}%`;

/** Reads of the inbox, shaped for keyset paging on the indexes the bench checks. */
export function createInboxReadRepository(db: Db) {
  // The reads of live updates, made many times a second: built once, and prepared once per connection by name (an
  // array of ids is one parameter).
  const ids = sql.placeholder('ids');
  const byIds = {
    messages: db.select().from(messages).where(sql`${messages.id} = any(${ids}::uuid[])`).prepare('inbox_messages_by_ids'),
    reactions: db.select().from(messageReactions).where(sql`${messageReactions.messageId} = any(${ids}::uuid[])`).prepare('inbox_reactions_by_message_ids'),
    media: db.select().from(mediaObjects).where(sql`${mediaObjects.messageId} = any(${ids}::uuid[])`).prepare('inbox_media_by_message_ids'),
    conversations: db
      .select({ conversation: conversations, contact: contacts })
      .from(conversations)
      .innerJoin(contacts, eq(contacts.id, conversations.contactId))
      .where(and(eq(conversations.accountId, sql.placeholder('accountId')), sql`${conversations.id} = any(${ids}::uuid[])`))
      .prepare('inbox_conversations_by_ids'),
  };

  /** Reactions and stored media of messages, by the messages' ids. */
  async function ownExtras(messageIds: string[]) {
    if (messageIds.length === 0) return { reactions: [], media: [] };
    const [reactions, media] = await Promise.all([byIds.reactions.execute({ ids: messageIds }), byIds.media.execute({ ids: messageIds })]);
    return { reactions, media };
  }

  /** Quoted messages and author names of messages (no query when they quote nobody and no person wrote them). */
  async function relatedExtras(accountId: string, rows: MessageRow[]) {
    const replyMids = [...new Set(rows.map((r) => r.replyToMid).filter((m): m is string => Boolean(m)))];
    const userIds = [...new Set(rows.map((r) => r.authorUserId).filter((m): m is string => Boolean(m)))];
    const keyIds = [...new Set(rows.map((r) => r.authorApiKeyId).filter((m): m is string => Boolean(m)))];
    const [quoted, authors, keys] = await Promise.all([
      replyMids.length
        ? db
            .select({ id: messages.id, mid: messages.mid, text: messages.text })
            .from(messages)
            .where(and(eq(messages.accountId, accountId), inArray(messages.mid, replyMids)))
        : [],
      userIds.length ? db.select({ id: users.id, username: users.username }).from(users).where(inArray(users.id, userIds)) : [],
      keyIds.length ? db.select({ id: apiKeys.id, name: apiKeys.name }).from(apiKeys).where(inArray(apiKeys.id, keyIds)) : [],
    ]);
    return { quoted, authors, keys };
  }

  return {
    async listConversations(opts: {
      accountId: string;
      filter: 'all' | 'unread' | 'needs_reply';
      q?: string;
      limit: number;
      after: { at: Date; id: string } | null;
    }): Promise<ConversationRow[]> {
      const conditions: (SQL | undefined)[] = [eq(conversations.accountId, opts.accountId), isNotNull(conversations.lastMessageAt)];
      if (opts.filter === 'unread') conditions.push(gt(conversations.unreadCount, 0));
      if (opts.filter === 'needs_reply') conditions.push(eq(conversations.needsReply, true));
      if (opts.after) {
        conditions.push(sql`(${conversations.lastMessageAt}, ${conversations.id}) < (${opts.after.at}, ${opts.after.id})`);
      }
      if (opts.q) {
        const p = likePattern(opts.q);
        // Matches are found first through the trigram indexes, then intersected with the account's conversations.
        conditions.push(
          or(
            sql`${conversations.contactId} in (select id from contacts where account_id = ${opts.accountId} and (lower(username) like ${p} or lower(name) like ${p}))`,
            sql`${conversations.id} in (select conversation_id from messages where account_id = ${opts.accountId} and lower(text) like ${p})`,
          ),
        );
      }
      return db
        .select({ conversation: conversations, contact: contacts })
        .from(conversations)
        .innerJoin(contacts, eq(contacts.id, conversations.contactId))
        .where(and(...conditions))
        .orderBy(desc(conversations.lastMessageAt), desc(conversations.id))
        .limit(opts.limit);
    },

    async getConversation(accountId: string, id: string): Promise<ConversationRow | undefined> {
      const [row] = await db
        .select({ conversation: conversations, contact: contacts })
        .from(conversations)
        .innerJoin(contacts, eq(contacts.id, conversations.contactId))
        .where(and(eq(conversations.accountId, accountId), eq(conversations.id, id)));
      return row;
    },

    async getConversationsByIds(accountId: string, conversationIds: string[]): Promise<ConversationRow[]> {
      if (conversationIds.length === 0) return [];
      return byIds.conversations.execute({ accountId, ids: conversationIds });
    },

    async findConversationByIgsid(accountId: string, igsid: string): Promise<ConversationRow | undefined> {
      const [row] = await db
        .select({ conversation: conversations, contact: contacts })
        .from(conversations)
        .innerJoin(contacts, eq(contacts.id, conversations.contactId))
        .where(and(eq(conversations.accountId, accountId), eq(contacts.igsid, igsid)));
      return row;
    },

    async listMessages(accountId: string, conversationId: string, limit: number, before: { at: Date; id: string } | null): Promise<MessageRow[]> {
      return db
        .select()
        .from(messages)
        .where(
          and(
            eq(messages.conversationId, conversationId),
            eq(messages.accountId, accountId),
            before ? sql`(${messages.sentAt}, ${messages.id}) < (${before.at}, ${before.id})` : undefined,
          ),
        )
        .orderBy(desc(messages.sentAt), desc(messages.id))
        .limit(limit);
    },

    async getMessage(conversationId: string, id: string): Promise<MessageRow | undefined> {
      const [row] = await db
        .select()
        .from(messages)
        .where(and(eq(messages.conversationId, conversationId), eq(messages.id, id)));
      return row;
    },

    async getMessagesByIds(messageIds: string[]): Promise<MessageRow[]> {
      if (messageIds.length === 0) return [];
      return byIds.messages.execute({ ids: messageIds });
    },

    /** What a page of messages needs beside the rows: reactions, media, quoted messages, author names. */
    async messageExtras(accountId: string, rows: MessageRow[]) {
      const [own, related] = await Promise.all([ownExtras(rows.map((r) => r.id)), relatedExtras(accountId, rows)]);
      return { ...own, ...related };
    },
    /** The extras that need only the messages' ids, so they can be read together with the messages. */
    ownExtras,
    relatedExtras,

    async markRead(conversationId: string): Promise<void> {
      await db
        .update(conversations)
        .set({ unreadCount: 0, updatedAt: new Date() })
        .where(and(eq(conversations.id, conversationId), gt(conversations.unreadCount, 0)));
    },
  };
}
export type InboxReadRepository = ReturnType<typeof createInboxReadRepository>;
