import type { Conversation, Message } from '@threadline/contract';
import { notFound, badRequest } from '../../shared/errors.ts';
import type { AccountAccess, AccountRole } from '../accounts/account-access.ts';
import type { RequestAuth } from '../auth/auth.plugin.ts';
import { decodeCursor, encodeCursor, type ConversationListFilter, type ConversationRow, type InboxReadRepository } from './inbox-read.repository.ts';
import { presentConversation, presentMessages } from './inbox.presenter.ts';
import { workflowErrors } from '../workflow/workflow.errors.ts';

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

    async listConversations(
      auth: RequestAuth,
      q: Pick<ConversationListFilter, 'filter' | 'status'> & { assignee?: string; q?: string; limit: number; cursor?: string },
    ) {
      const accountId = selectedAccount(auth);
      const assignee = assigneeFilter(auth, q.assignee);
      const after = decodeCursor(q.cursor);
      if (q.cursor && !after) {
        await requireRole(auth, accountId, 'viewer');
        throw badRequest('request.invalid_cursor', 'The cursor is not valid.');
      }
      const term = q.q?.replace(/^@/, '').trim() || undefined;
      if (term) await deps.countSearch(auth.kind === 'session' ? `user:${auth.userId}` : `key:${auth.keyId}`);
      const exactUsername = term !== undefined && term.length < SEARCH_MIN_LENGTH;
      // the role and the page are read at once; the page is answered only when the role is confirmed
      const [, rows] = await Promise.all([
        requireRole(auth, accountId, 'viewer'),
        repo.listConversations({ accountId, filter: q.filter, status: q.status, ...(assignee ? { assignee } : {}), q: term, exactUsername, limit: q.limit, after }),
      ]);
      const now = deps.now();
      const conversations: Conversation[] = rows.map((r) => presentConversation(r, now, deps.humanAgentEnabled));
      const last = rows.at(-1);
      const next = rows.length === q.limit && last?.conversation.lastMessageAt ? encodeCursor(last.conversation.lastMessageAt, last.conversation.id) : null;
      return { conversations, next_cursor: next };
    },

    async getConversation(auth: RequestAuth, conversationId: string): Promise<Conversation> {
      return presentConversation(await conversation(auth, conversationId, 'viewer'), deps.now(), deps.humanAgentEnabled);
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
      // The messages, their reactions and media, and the conversations are read at once; quoted messages and author
      // names, only when a message has them, after.
      const [rows, own, convs] = await Promise.all([
        repo.getMessagesByIds(messageIds),
        repo.ownExtras(messageIds),
        repo.getConversationsByIds(accountId, conversationIds),
      ]);
      const mine = rows.filter((r) => r.accountId === accountId);
      const extras = { ...own, ...(await repo.relatedExtras(accountId, mine)) };
      const messages = new Map(presentMessages(mine, extras).map((m) => [m.id, m]));
      const now = deps.now();
      const conversations = new Map(convs.map((c) => [c.conversation.id, presentConversation(c, now, deps.humanAgentEnabled)]));
      return { messages, conversations };
    },

    async presentConversationById(accountId: string, conversationId: string): Promise<Conversation | null> {
      const row = await repo.getConversation(accountId, conversationId);
      return row ? presentConversation(row, deps.now(), deps.humanAgentEnabled) : null;
    },

    async markRead(auth: RequestAuth, conversationId: string): Promise<Conversation> {
      const conv = await conversation(auth, conversationId, 'viewer');
      await repo.markRead(conv.conversation.id);
      const fresh = await repo.getConversation(conv.conversation.accountId, conv.conversation.id);
      return presentConversation(fresh ?? conv, deps.now(), deps.humanAgentEnabled);
    },
  };
}
export type InboxService = ReturnType<typeof createInboxService>;
