import { and, desc, eq, gt, inArray, isNotNull, isNull, or, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { queryRows, sqlArray, type Db } from '../../db/client.ts';
import { apiKeys, contacts, conversationLabels, conversations, labels, mediaObjects, messageReactions, messages, users } from '../../db/schema/index.ts';

export type ConversationRow = {
  conversation: typeof conversations.$inferSelect;
  contact: typeof contacts.$inferSelect;
  /** the assigned teammate's name (null when unassigned) */
  assignee: { id: string; username: string } | null;
};

/** The assignee of a conversation, joined by its own name so `users` stays free for other joins. */
const assigneeUser = alias(users, 'assignee');
const conversationColumns = { conversation: conversations, contact: contacts, assignee: { id: assigneeUser.id, username: assigneeUser.username } };
export type MessageRow = typeof messages.$inferSelect;
/** The labels of conversations, by conversation id (a conversation without labels is absent). */
export type LabelsByConversation = Map<string, { id: string; name: string; color: string }[]>;

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
/**
 * What the conversation list is filtered by: one object, so that a new filter is one more field here and one more
 * condition in `conditionsOf` (each combination is prepared once, by name).
 */
export type ConversationListFilter = {
  filter: 'all' | 'unread' | 'needs_reply';
  /** one status (the API asks for open ones by default); absent or 'all': any */
  status?: 'open' | 'snoozed' | 'done' | 'all';
  /** unassigned, or one member's conversations (`me` is resolved to the caller's id before it comes here) */
  assignee?: { kind: 'unassigned' } | { kind: 'user'; userId: string };
  /** only conversations carrying this label (of the same account); such pages are built per call (`filteredPage`) */
  labelId?: string | undefined;
};

export type ConversationListOptions = ConversationListFilter & {
  accountId: string;
  q?: string;
  /** `q` is matched as a whole username only (a term too short to search text with) */
  exactUsername?: boolean;
  limit: number;
  after: { at: Date; id: string } | null;
};

/** Matching rows gathered for a search before it walks the account's conversations instead (see `searchConversations`). */
export const SEARCH_CANDIDATES = 500;

export function createInboxReadRepository(db: Db, { searchCandidates = SEARCH_CANDIDATES }: { searchCandidates?: number } = {}) {
  // The reads of live updates, made many times a second: built once, and prepared once per connection by name (an
  // array of ids is one parameter).
  const ids = sql.placeholder('ids');
  const byIds = {
    messages: db.select().from(messages).where(sql`${messages.id} = any(${ids}::uuid[])`).prepare('inbox_messages_by_ids'),
    reactions: db.select().from(messageReactions).where(sql`${messageReactions.messageId} = any(${ids}::uuid[])`).prepare('inbox_reactions_by_message_ids'),
    media: db.select().from(mediaObjects).where(sql`${mediaObjects.messageId} = any(${ids}::uuid[])`).prepare('inbox_media_by_message_ids'),
    conversations: db
      .select(conversationColumns)
      .from(conversations)
      .innerJoin(contacts, eq(contacts.id, conversations.contactId))
      .leftJoin(assigneeUser, eq(assigneeUser.id, conversations.assigneeUserId))
      .where(and(eq(conversations.accountId, sql.placeholder('accountId')), sql`${conversations.id} = any(${ids}::uuid[])`))
      .prepare('inbox_conversations_by_ids'),
  };

  // The reads behind every inbox page, prepared as well: building a query took as long as running it (0.7 ms of a
  // thread page's 1.5 ms). Conditions that partial indexes are defined by stay literal (`unread_count > 0`,
  // `needs_reply`), so a generic plan can still use those indexes.
  const accountId = sql.placeholder('accountId');
  const limit = sql.placeholder('limit');
  const conversationPage = (name: string, condition: SQL | undefined, after: boolean) =>
    db
      .select(conversationColumns)
      .from(conversations)
      .innerJoin(contacts, eq(contacts.id, conversations.contactId))
      .leftJoin(assigneeUser, eq(assigneeUser.id, conversations.assigneeUserId))
      .where(
        and(
          eq(conversations.accountId, accountId),
          isNotNull(conversations.lastMessageAt),
          condition,
          after ? sql`(${conversations.lastMessageAt}, ${conversations.id}) < (${sql.placeholder('afterAt')}, ${sql.placeholder('afterId')})` : undefined,
        ),
      )
      .orderBy(desc(conversations.lastMessageAt), desc(conversations.id))
      .limit(limit)
      .prepare(`inbox_conversations_${name}${after ? '_after' : ''}`);
  const filters = { all: undefined, unread: sql`${conversations.unreadCount} > 0`, needs_reply: sql`${conversations.needsReply}` };
  /**
   * The conditions of a filter, with a name for its prepared statement. Values that select an index stay literal
   * (`needs_reply`, the status, `assignee_user_id is null`) so a generic plan still uses the partial indexes; a
   * member's id is a parameter.
   */
  function conditionsOf(f: ConversationListFilter, params: boolean): { name: string; condition: SQL | undefined } {
    const parts: (SQL | undefined)[] = [filters[f.filter]];
    const name: string[] = [f.filter, f.status ?? 'all'];
    if (f.status && f.status !== 'all') parts.push(sql`${conversations.status} = ${sql.raw(`'${f.status}'`)}`);
    if (f.assignee?.kind === 'unassigned') {
      parts.push(isNull(conversations.assigneeUserId));
      name.push('unassigned');
    } else if (f.assignee?.kind === 'user') {
      parts.push(eq(conversations.assigneeUserId, params ? sql.placeholder('assigneeId') : f.assignee.userId));
      name.push('assignee');
    }
    return { name: name.join('_'), condition: and(...parts) };
  }
  type Page = ReturnType<typeof conversationPage>;
  const preparedPages = new Map<string, Page>();
  function pageFor(f: ConversationListFilter, after: boolean): Page {
    const { name, condition } = conditionsOf(f, true);
    const key = `${name}${after ? '_after' : ''}`;
    let page = preparedPages.get(key);
    if (!page) {
      page = conversationPage(name, condition, after);
      preparedPages.set(key, page);
    }
    return page;
  }

  /** Carries the label: a semi-join on `conversation_labels` (primary key conversation_id, label_id) per walked row. */
  const withLabel = (labelId: string | undefined) =>
    labelId
      ? sql`exists (select 1 from ${conversationLabels} where ${conversationLabels.conversationId} = ${conversations.id} and ${conversationLabels.labelId} = ${labelId})`
      : undefined;

  /**
   * A page under conditions the prepared pages do not cover (a label, a search's matches): built per call, so the
   * planner sees them.
   */
  async function filteredPage(opts: ConversationListOptions, extra?: SQL): Promise<ConversationRow[]> {
    return db
      .select(conversationColumns)
      .from(conversations)
      .innerJoin(contacts, eq(contacts.id, conversations.contactId))
      .leftJoin(assigneeUser, eq(assigneeUser.id, conversations.assigneeUserId))
      .where(
        and(
          eq(conversations.accountId, opts.accountId),
          isNotNull(conversations.lastMessageAt),
          conditionsOf(opts, false).condition,
          withLabel(opts.labelId),
          extra,
          opts.after ? sql`(${conversations.lastMessageAt}, ${conversations.id}) < (${opts.after.at}, ${opts.after.id})` : undefined,
        ),
      )
      .orderBy(desc(conversations.lastMessageAt), desc(conversations.id))
      .limit(opts.limit);
  }

  /** Conversations of any account by id, in the order given (the caller has checked who may see them). */
  async function conversationsInOrder(conversationIds: string[]): Promise<ConversationRow[]> {
    if (conversationIds.length === 0) return [];
    const rows = await db
      .select(conversationColumns)
      .from(conversations)
      .innerJoin(contacts, eq(contacts.id, conversations.contactId))
      .leftJoin(assigneeUser, eq(assigneeUser.id, conversations.assigneeUserId))
      .where(sql`${conversations.id} = any(${sqlArray(conversationIds, 'uuid[]')})`);
    const byId = new Map(rows.map((r) => [r.conversation.id, r]));
    return conversationIds.flatMap((id) => byId.get(id) ?? []);
  }

  const oneConversation = db
    .select(conversationColumns)
    .from(conversations)
    .innerJoin(contacts, eq(contacts.id, conversations.contactId))
    .leftJoin(assigneeUser, eq(assigneeUser.id, conversations.assigneeUserId))
    .where(and(eq(conversations.accountId, accountId), eq(conversations.id, sql.placeholder('id'))))
    .prepare('inbox_conversation');
  const messagePage = (before: boolean) =>
    db
      .select()
      .from(messages)
      .where(
        and(
          eq(messages.conversationId, sql.placeholder('conversationId')),
          eq(messages.accountId, accountId),
          before ? sql`(${messages.sentAt}, ${messages.id}) < (${sql.placeholder('beforeAt')}, ${sql.placeholder('beforeId')})` : undefined,
        ),
      )
      .orderBy(desc(messages.sentAt), desc(messages.id))
      .limit(limit)
      .prepare(before ? 'inbox_messages_page_before' : 'inbox_messages_page');
  const messagePages = { first: messagePage(false), before: messagePage(true) };

  /**
   * Search: the conversations whose contact (username, name) or messages match, found through the trigram indexes.
   * A rare term (a username) matches a handful: those are gathered first and only they are read and sorted. A common
   * one (more than `searchCandidates` matching rows) is answered by walking the account's conversations newest first
   * and keeping those among the matches, which stops after one page. Walking for a rare term read every
   * conversation of the account (7 ms on 11,000); gathering for a common one would read thousands of rows to sort.
   * Not prepared: the planner sees each pattern.
   */
  async function searchConversations(opts: ConversationListOptions & { q: string }): Promise<ConversationRow[]> {
    const p = likePattern(opts.q);
    const contactMatches = opts.exactUsername
      ? sql`select id from ${contacts} where ${contacts.accountId} = ${opts.accountId} and lower(${contacts.username}) = ${opts.q.toLowerCase()}`
      : sql`select id from ${contacts} where ${contacts.accountId} = ${opts.accountId} and (lower(${contacts.username}) like ${p} or lower(${contacts.name}) like ${p})`;
    const messageMatches = opts.exactUsername
      ? sql`select ${messages.conversationId} from ${messages} where false`
      : sql`select ${messages.conversationId} from ${messages} where ${messages.accountId} = ${opts.accountId} and lower(${messages.text}) like ${p}`;
    const candidates = await queryRows<{ id: string }>(
      db,
      sql`(select ${conversations.id} as id from ${conversations} where ${conversations.accountId} = ${opts.accountId} and ${conversations.contactId} in (${contactMatches}))
          union all (${messageMatches}) limit ${searchCandidates + 1}`,
    );
    if (candidates.length === 0) return [];
    const found =
      candidates.length <= searchCandidates
        ? sql`${conversations.id} = any(${sqlArray([...new Set(candidates.map((c) => c.id))], 'uuid[]')})`
        : or(sql`${conversations.contactId} in (${contactMatches})`, sql`${conversations.id} in (${messageMatches})`);
    return filteredPage(opts, found);
  }

  /** Reactions and stored media of messages, by the messages' ids. */
  async function ownExtras(messageIds: string[]) {
    if (messageIds.length === 0) return { reactions: [], media: [] };
    const [reactions, media] = await Promise.all([byIds.reactions.execute({ ids: messageIds }), byIds.media.execute({ ids: messageIds })]);
    return { reactions, media };
  }

  /**
   * Quoted messages, author names, and the uploads sent as attachments (an upload is not tied to its message by
   * `message_id`: it is named by the attachment's `mediaId`), with no query when there are none.
   */
  async function relatedExtras(accountId: string, rows: MessageRow[]) {
    const uploadIds = [...new Set(rows.filter((r) => r.direction === 'outbound').flatMap((r) => r.attachments.map((a) => a.mediaId).filter((m): m is string => Boolean(m))))];
    const replyMids = [...new Set(rows.map((r) => r.replyToMid).filter((m): m is string => Boolean(m)))];
    const userIds = [...new Set(rows.map((r) => r.authorUserId).filter((m): m is string => Boolean(m)))];
    const keyIds = [...new Set(rows.map((r) => r.authorApiKeyId).filter((m): m is string => Boolean(m)))];
    const [quoted, authors, keys, uploads] = await Promise.all([
      replyMids.length
        ? db
            .select({ id: messages.id, mid: messages.mid, text: messages.text })
            .from(messages)
            .where(and(eq(messages.accountId, accountId), inArray(messages.mid, replyMids)))
        : [],
      userIds.length ? db.select({ id: users.id, username: users.username }).from(users).where(inArray(users.id, userIds)) : [],
      keyIds.length ? db.select({ id: apiKeys.id, name: apiKeys.name }).from(apiKeys).where(inArray(apiKeys.id, keyIds)) : [],
      uploadIds.length
        ? db.select().from(mediaObjects).where(and(eq(mediaObjects.accountId, accountId), eq(mediaObjects.source, 'upload'), inArray(mediaObjects.id, uploadIds)))
        : [],
    ]);
    return { quoted, authors, keys, uploads };
  }

  return {
    /**
     * A page of the conversations of several accounts (the "All accounts" inbox), newest activity first. Each account
     * gives at most a page from its own index (a lateral walk of `conversations_account_activity_idx`, or of the
     * partial index of the filter), and the pages are merged: the work is accounts × page, whatever the accounts hold.
     * A search runs per account and merges the same way.
     */
    async listConversationsAcross(accountIds: string[], opts: Omit<ConversationListOptions, 'accountId'>): Promise<ConversationRow[]> {
      if (accountIds.length === 0) return [];
      if (opts.q) {
        const q = opts.q;
        const pages = await Promise.all(accountIds.map((accountId) => searchConversations({ ...opts, accountId, q })));
        return pages
          .flat()
          .sort((a, b) => (b.conversation.lastMessageAt?.getTime() ?? 0) - (a.conversation.lastMessageAt?.getTime() ?? 0) || (a.conversation.id < b.conversation.id ? 1 : -1))
          .slice(0, opts.limit);
      }
      const condition = conditionsOf(opts, false).condition;
      const page = await queryRows<{ id: string }>(
        db,
        sql`select c.id from unnest(${sqlArray(accountIds, 'uuid[]')}) as a(id) cross join lateral (
              select ${conversations.id} as id, ${conversations.lastMessageAt} as at from ${conversations}
              where ${conversations.accountId} = a.id and ${conversations.lastMessageAt} is not null
                ${condition ? sql`and ${condition}` : sql``}
                ${opts.labelId ? sql`and ${withLabel(opts.labelId)}` : sql``}
                ${opts.after ? sql`and (${conversations.lastMessageAt}, ${conversations.id}) < (${opts.after.at}, ${opts.after.id})` : sql``}
              order by ${conversations.lastMessageAt} desc, ${conversations.id} desc limit ${opts.limit}) c
            order by c.at desc, c.id desc limit ${opts.limit}`,
      );
      return conversationsInOrder(page.map((r) => r.id));
    },

    /** How many conversations of each account have unread messages (on the partial index of unread conversations). */
    async unreadCounts(accountIds: string[]): Promise<Map<string, number>> {
      if (accountIds.length === 0) return new Map();
      const rows = await queryRows<{ account_id: string; n: number | string }>(
        db,
        sql`select ${conversations.accountId} as account_id, count(*) as n from ${conversations}
            where ${conversations.accountId} = any(${sqlArray(accountIds, 'uuid[]')}) and ${conversations.unreadCount} > 0 and ${conversations.lastMessageAt} is not null
            group by ${conversations.accountId}`,
      );
      return new Map(rows.map((r) => [r.account_id, Number(r.n)]));
    },

    /** One conversation by id whatever its account (the caller checks the membership of its account). */
    async getConversationAnyAccount(id: string): Promise<ConversationRow | undefined> {
      const [row] = await conversationsInOrder([id]);
      return row;
    },

    async listConversations(opts: ConversationListOptions): Promise<ConversationRow[]> {
      if (opts.q) return searchConversations({ ...opts, q: opts.q });
      if (opts.labelId) return filteredPage(opts);
      const page = pageFor(opts, opts.after !== null);
      const assigneeId = opts.assignee?.kind === 'user' ? opts.assignee.userId : undefined;
      return page.execute({ accountId: opts.accountId, limit: opts.limit, afterAt: opts.after?.at, afterId: opts.after?.id, assigneeId });
    },

    async getConversation(accountId: string, id: string): Promise<ConversationRow | undefined> {
      const [row] = await oneConversation.execute({ accountId, id });
      return row;
    },

    async getConversationsByIds(accountId: string, conversationIds: string[]): Promise<ConversationRow[]> {
      if (conversationIds.length === 0) return [];
      return byIds.conversations.execute({ accountId, ids: conversationIds });
    },

    async findConversationByIgsid(accountId: string, igsid: string): Promise<ConversationRow | undefined> {
      const [row] = await db
        .select(conversationColumns)
        .from(conversations)
        .innerJoin(contacts, eq(contacts.id, conversations.contactId))
        .leftJoin(assigneeUser, eq(assigneeUser.id, conversations.assigneeUserId))
        .where(and(eq(conversations.accountId, accountId), eq(contacts.igsid, igsid)));
      return row;
    },

    async listMessages(accountId: string, conversationId: string, limit: number, before: { at: Date; id: string } | null): Promise<MessageRow[]> {
      const page = before ? messagePages.before : messagePages.first;
      return page.execute({ accountId, conversationId, limit, beforeAt: before?.at, beforeId: before?.id });
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

    async labelsOf(conversationIds: string[]): Promise<LabelsByConversation> {
      const out: LabelsByConversation = new Map();
      if (conversationIds.length === 0) return out;
      const rows = await db
        .select({ conversationId: conversationLabels.conversationId, id: labels.id, name: labels.name, color: labels.color })
        .from(conversationLabels)
        .innerJoin(labels, eq(labels.id, conversationLabels.labelId))
        .where(sql`${conversationLabels.conversationId} = any(${sqlArray(conversationIds, 'uuid[]')})`)
        .orderBy(sql`lower(${labels.name})`);
      for (const r of rows) {
        const list = out.get(r.conversationId) ?? [];
        list.push({ id: r.id, name: r.name, color: r.color });
        out.set(r.conversationId, list);
      }
      return out;
    },

    async markRead(conversationId: string): Promise<void> {
      await db
        .update(conversations)
        .set({ unreadCount: 0, updatedAt: new Date() })
        .where(and(eq(conversations.id, conversationId), gt(conversations.unreadCount, 0)));
    },
  };
}
export type InboxReadRepository = ReturnType<typeof createInboxReadRepository>;
