import type { Conversation, InboxScope, Message } from '@threadline/contract';
import type { AccountAccess, AccountRole } from '../accounts/account-access.ts';
import type { RequestAuth } from '../auth/auth.plugin.ts';
import { decodeCursor, encodeCursor, type ConversationListFilter, type ConversationRow, type InboxReadRepository, type MessageRow } from './inbox-read.repository.ts';
import { presentConversation, presentMessages } from './inbox.presenter.ts';
import { workflowErrors } from './workflow/workflow.errors.ts';
import { inboxErrors } from './inbox.errors.ts';

export type InboxServiceDeps = {
  repo: InboxReadRepository;
  access: AccountAccess;
  humanAgentEnabled: boolean;
  now: () => Date;
  /** Counts one search of the caller (a user, or an API key); throws 429 past SEARCH_RATE_PER_MINUTE. */
  countSearch: (callerKey: string) => Promise<void>;
};

/** Shorter terms match a whole username only: a one- or two-letter substring would read most of the inbox. */
export const SEARCH_MIN_LENGTH = 3;

/** The list's query: one account's or every account's ("All accounts"), with the same filters, search and paging. */
type ListQuery = Pick<ConversationListFilter, 'filter' | 'status'> & {
  scope: InboxScope;
  assignee?: string | undefined;
  label_id?: string | undefined;
  q?: string | undefined;
  limit: number;
  cursor?: string | undefined;
};

/**
 * The inbox as callers see it. A session acts on its current account (the JWT's `account_id`) and needs a role
 * there; an API key acts on its own account. Anything outside that account answers 404.
 */
export function createInboxService(deps: InboxServiceDeps) {
  const { repo, access } = deps;

  /** The account the caller acts on, before its role there is checked. */
  function selectedAccount(auth: RequestAuth): string {
    if (auth.kind === 'api_key') return auth.accountId;
    if (!auth.accountId) throw inboxErrors.noAccountSelected();
    return auth.accountId;
  }

  async function requireRole(auth: RequestAuth, accountId: string, minRole: AccountRole): Promise<void> {
    if (auth.kind === 'session') await access.requireRole(auth.userId, accountId, minRole);
  }

  /** The account the caller acts on, once its role there is confirmed; a person may name another of their accounts. */
  async function accountOf(auth: RequestAuth, minRole: AccountRole, named?: string): Promise<string> {
    const accountId = named && auth.kind === 'session' ? named : selectedAccount(auth);
    await requireRole(auth, accountId, minRole);
    return accountId;
  }

  /**
   * A conversation of the caller's account. The role and the row are read at once (one round trip, not two); the row
   * is returned only once the role is confirmed, and a failed check answers as before.
   */
  async function conversation(auth: RequestAuth, conversationId: string, minRole: AccountRole): Promise<ConversationRow> {
    if (auth.kind === 'api_key') {
      const [, row] = await Promise.all([requireRole(auth, auth.accountId, minRole), repo.getConversation(auth.accountId, conversationId)]);
      if (!row) throw inboxErrors.conversationNotFound();
      return row;
    }
    const current = auth.accountId;
    if (current) {
      const [refused, row] = await Promise.all([
        requireRole(auth, current, minRole).then(() => null, (e: unknown) => e),
        repo.getConversation(current, conversationId),
      ]);
      if (row) {
        if (refused) throw refused;
        return row;
      }
    }
    // A person may open a conversation of any account they belong to (the "All accounts" inbox): the role is then
    // checked on the conversation's own account; one of an account they are not in is not found.
    const other = await repo.getConversationAnyAccount(conversationId);
    if (!other || !(await access.membership(auth.userId, other.conversation.accountId))) {
      if (!current) selectedAccount(auth); // a session with no account at all is told so
      throw inboxErrors.conversationNotFound();
    }
    await access.requireRole(auth.userId, other.conversation.accountId, minRole);
    return other;
  }

  /** Conversations as clients see them: with their labels, read in one query for all of them. */
  async function present(rows: ConversationRow[]): Promise<Conversation[]> {
    const labels = await repo.labelsOf(rows.map((r) => r.conversation.id));
    const now = deps.now();
    return rows.map((r) => presentConversation(r, now, deps.humanAgentEnabled, labels));
  }
  async function presentOne(row: ConversationRow): Promise<Conversation> {
    const [one] = await present([row]);
    if (!one) throw new Error('a presented conversation went missing');
    return one;
  }

  /** Accounts the signed-in person belongs to: "All accounts" is for people; a key has its one account. */
  async function memberAccounts(auth: RequestAuth): Promise<string[]> {
    if (auth.kind !== 'session') throw inboxErrors.scopeAllNeedsSession();
    return access.accountIdsOf(auth.userId);
  }

  /** A search term (a leading @ dropped), counted against the caller's search rate; a short one matches a username only. */
  async function searchTerm(auth: RequestAuth, raw: string | undefined): Promise<{ term: string | undefined; exactUsername: boolean }> {
    const term = raw?.replace(/^@/, '').trim() || undefined;
    if (term) await deps.countSearch(auth.kind === 'session' ? `user:${auth.userId}` : `key:${auth.keyId}`);
    return { term, exactUsername: term !== undefined && term.length < SEARCH_MIN_LENGTH };
  }

  /** The "All accounts" inbox: the same filters, search and keyset paging over every account of the person. */
  async function listAcross(auth: RequestAuth, q: ListQuery) {
    const accountIds = await memberAccounts(auth);
    const assignee = assigneeFilter(auth, q.assignee);
    const after = decodeCursor(q.cursor);
    if (q.cursor && !after) throw inboxErrors.invalidCursor();
    const { term, exactUsername } = await searchTerm(auth, q.q);
    const rows = await repo.listConversationsAcross(accountIds, {
      filter: q.filter,
      status: q.status,
      ...(assignee ? { assignee } : {}),
      labelId: q.label_id,
      q: term,
      exactUsername,
      limit: q.limit,
      after,
    });
    const last = rows.at(-1);
    const next = rows.length === q.limit && last?.conversation.lastMessageAt ? encodeCursor(last.conversation.lastMessageAt, last.conversation.id) : null;
    return { conversations: await present(rows), next_cursor: next };
  }

  /** `me` is the signed-in user; an API key has no "me". */
  function assigneeFilter(auth: RequestAuth, value: string | undefined): ConversationListFilter['assignee'] {
    if (value === undefined) return undefined;
    if (value === 'unassigned') return { kind: 'unassigned' };
    if (value === 'me') {
      if (auth.kind !== 'session') throw workflowErrors.assigneeMeNeedsSession();
      return { kind: 'user', userId: auth.userId };
    }
    return { kind: 'user', userId: value };
  }

  return {
    accountOf,
    conversation,
    memberAccounts,

    /** Per account of the person, how many conversations have unread messages. */
    async unreadCounts(auth: RequestAuth) {
      const accountIds = await memberAccounts(auth);
      const counts = await repo.unreadCounts(accountIds);
      const accounts = accountIds.map((id) => ({ account_id: id, unread_conversations: counts.get(id) ?? 0 }));
      return { accounts, total: accounts.reduce((n, a) => n + a.unread_conversations, 0) };
    },

    async listConversations(auth: RequestAuth, q: ListQuery) {
      if (q.scope === 'all') return listAcross(auth, q);
      const accountId = selectedAccount(auth);
      const assignee = assigneeFilter(auth, q.assignee);
      const after = decodeCursor(q.cursor);
      if (q.cursor && !after) {
        await requireRole(auth, accountId, 'viewer');
        throw inboxErrors.invalidCursor();
      }
      const { term, exactUsername } = await searchTerm(auth, q.q);
      // the role and the page are read at once; the page is answered only when the role is confirmed
      const [, rows] = await Promise.all([
        requireRole(auth, accountId, 'viewer'),
        repo.listConversations({ accountId, filter: q.filter, status: q.status, ...(assignee ? { assignee } : {}), labelId: q.label_id, q: term, exactUsername, limit: q.limit, after }),
      ]);
      const conversations = await present(rows);
      const last = rows.at(-1);
      const next = rows.length === q.limit && last?.conversation.lastMessageAt ? encodeCursor(last.conversation.lastMessageAt, last.conversation.id) : null;
      return { conversations, next_cursor: next };
    },

    async getConversation(auth: RequestAuth, conversationId: string): Promise<Conversation> {
      return presentOne(await conversation(auth, conversationId, 'viewer'));
    },

    async listMessages(auth: RequestAuth, conversationId: string, q: { limit: number; cursor?: string }) {
      const current = auth.accountId;
      const before = decodeCursor(q.cursor);
      let conv: ConversationRow | undefined;
      let rows: MessageRow[] = [];
      if (current) {
        // The role, the conversation and the page are read at once (the page only of this account's messages); the
        // page is answered only when the role and the conversation are confirmed.
        [, conv, rows] = await Promise.all([
          requireRole(auth, current, 'viewer'),
          repo.getConversation(current, conversationId),
          repo.listMessages(current, conversationId, q.limit, before),
        ]);
      }
      // not on the session's account: another account of the person's ("All accounts"), or not found
      if (!conv && auth.kind === 'session') {
        conv = await conversation(auth, conversationId, 'viewer');
        rows = await repo.listMessages(conv.conversation.accountId, conversationId, q.limit, before);
      }
      if (!conv) throw inboxErrors.conversationNotFound();
      if (q.cursor && !before) throw inboxErrors.invalidCursor();
      const extras = await repo.messageExtras(conv.conversation.accountId, rows);
      const messages: Message[] = presentMessages(rows, extras);
      const last = rows.at(-1);
      return { messages, next_cursor: rows.length === q.limit && last ? encodeCursor(last.sentAt, last.id) : null };
    },

    async presentMessage(accountId: string, messageId: string): Promise<Message | null> {
      const rows = await repo.getMessagesByIds([messageId]);
      const extras = await repo.messageExtras(accountId, rows);
      return presentMessages(rows, extras)[0] ?? null;
    },

    /** Many messages and conversations of one account presented at once (live updates fan out in batches). */
    async presentMany(accountId: string, messageIds: string[], conversationIds: string[]) {
      // The messages, their reactions and media, the conversations and their labels are read at once; quoted
      // messages and author names, only when a message has them, after.
      const [rows, own, convs, labels] = await Promise.all([
        repo.getMessagesByIds(messageIds),
        repo.ownExtras(messageIds),
        repo.getConversationsByIds(accountId, conversationIds),
        repo.labelsOf(conversationIds),
      ]);
      const mine = rows.filter((r) => r.accountId === accountId);
      const extras = { ...own, ...(await repo.relatedExtras(accountId, mine)) };
      const messages = new Map(presentMessages(mine, extras).map((m) => [m.id, m]));
      const now = deps.now();
      const conversations = new Map(convs.map((c) => [c.conversation.id, presentConversation(c, now, deps.humanAgentEnabled, labels)]));
      return { messages, conversations };
    },

    async presentConversationById(accountId: string, conversationId: string): Promise<Conversation | null> {
      const row = await repo.getConversation(accountId, conversationId);
      return row ? presentOne(row) : null;
    },

    async markRead(auth: RequestAuth, conversationId: string): Promise<Conversation> {
      const conv = await conversation(auth, conversationId, 'viewer');
      await repo.markRead(conv.conversation.id);
      const fresh = await repo.getConversation(conv.conversation.accountId, conv.conversation.id);
      return presentOne(fresh ?? conv);
    },
  };
}
export type InboxService = ReturnType<typeof createInboxService>;
