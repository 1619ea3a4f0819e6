import type { Conversation, Message } from '@threadline/contract';
import { notFound, badRequest } from '../../shared/errors.ts';
import type { AccountAccess, AccountRole } from '../accounts/account-access.ts';
import type { RequestAuth } from '../auth/auth.plugin.ts';
import { decodeCursor, encodeCursor, type ConversationRow, type InboxReadRepository } from './inbox-read.repository.ts';
import { presentConversation, presentMessages } from './inbox.presenter.ts';

export type InboxServiceDeps = { repo: InboxReadRepository; access: AccountAccess; humanAgentEnabled: boolean; now: () => Date };

/**
 * The inbox as callers see it. A session acts on its current account (the JWT's `account_id`) and needs a role
 * there; an API key acts on its own account. Anything outside that account answers 404.
 */
export function createInboxService(deps: InboxServiceDeps) {
  const { repo, access } = deps;

  /** The account the caller acts on, before its role there is checked. */
  function selectedAccount(auth: RequestAuth): string {
    if (auth.kind === 'api_key') return auth.accountId;
    if (!auth.accountId) throw notFound('accounts.none_selected', 'No Instagram account is selected for this session: link or switch to one first.');
    return auth.accountId;
  }

  async function requireRole(auth: RequestAuth, accountId: string, minRole: AccountRole): Promise<void> {
    if (auth.kind === 'session') await access.requireRole(auth.userId, accountId, minRole);
  }

  async function accountOf(auth: RequestAuth, minRole: AccountRole): Promise<string> {
    const accountId = selectedAccount(auth);
    await requireRole(auth, accountId, minRole);
    return accountId;
  }

  /**
   * A conversation of the caller's account. The role and the row are read at once (one round trip, not two); the row
   * is returned only once the role is confirmed, and a failed check answers as before.
   */
  async function conversation(auth: RequestAuth, conversationId: string, minRole: AccountRole): Promise<ConversationRow> {
    const accountId = selectedAccount(auth);
    const [, row] = await Promise.all([requireRole(auth, accountId, minRole), repo.getConversation(accountId, conversationId)]);
    if (!row) throw notFound('conversations.not_found', 'No such conversation on this account.');
    return row;
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

  return {
    accountOf,
    conversation,

    async listConversations(
      auth: RequestAuth,
      q: { filter: 'all' | 'unread' | 'needs_reply'; label_id?: string | undefined; q?: string | undefined; limit: number; cursor?: string | undefined },
    ) {
      const accountId = selectedAccount(auth);
      const after = decodeCursor(q.cursor);
      if (q.cursor && !after) {
        await requireRole(auth, accountId, 'viewer');
        throw badRequest('request.invalid_cursor', 'The cursor is not valid.');
      }
      // the role and the page are read at once; the page is answered only when the role is confirmed
      const [, rows] = await Promise.all([
        requireRole(auth, accountId, 'viewer'),
        repo.listConversations({ accountId, filter: q.filter, labelId: q.label_id, q: q.q || undefined, limit: q.limit, after }),
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
      const accountId = selectedAccount(auth);
      const before = decodeCursor(q.cursor);
      // The role, the conversation and the page are read at once (the page only of this account's messages); the
      // page is answered only when the role and the conversation are confirmed.
      const [, conv, rows] = await Promise.all([
        requireRole(auth, accountId, 'viewer'),
        repo.getConversation(accountId, conversationId),
        repo.listMessages(accountId, conversationId, q.limit, before),
      ]);
      if (!conv) throw notFound('conversations.not_found', 'No such conversation on this account.');
      if (q.cursor && !before) throw badRequest('request.invalid_cursor', 'The cursor is not valid.');
      const extras = await repo.messageExtras(accountId, rows);
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
