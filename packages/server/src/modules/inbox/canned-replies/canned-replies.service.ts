import { CANNED_REPLIES_PER_ACCOUNT_MAX, fillCannedReply, MESSAGE_TEXT_MAX_BYTES, utf8Bytes } from '@threadline/contract';
import { isUniqueViolation } from '../../../shared/db-errors.ts';
import type { AccountAccess } from '../../accounts/account-access.ts';
import type { AuditLog, ChangeContext } from '../../audit/audit.repository.ts';
import type { SessionAuth } from '../../auth/auth.service.ts';
import type { InboxService } from '../inbox.service.ts';
import { cannedReplyErrors } from './canned-replies.errors.ts';
import type { CannedRepliesRepository, CannedReplyRow } from './canned-replies.repository.ts';

export type CannedRepliesServiceDeps = {
  repo: CannedRepliesRepository;
  access: Pick<AccountAccess, 'requireRole'>;
  inbox: Pick<InboxService, 'conversation'>;
  audit: AuditLog;
};

/** Canned replies of an account: any member reads and uses them; admins and owners make, change and delete them. */
export function createCannedRepliesService(deps: CannedRepliesServiceDeps) {
  const { repo, access, audit } = deps;

  /** Writes that a unique shortcut may refuse. */
  async function unique<T>(shortcut: string | undefined, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (isUniqueViolation(error)) throw cannedReplyErrors.shortcutTaken(shortcut ?? '');
      throw error;
    }
  }

  return {
    async list(userId: string, accountId: string): Promise<CannedReplyRow[]> {
      await access.requireRole(userId, accountId, 'viewer');
      return repo.list(accountId);
    },

    async create(userId: string, accountId: string, input: { shortcut: string; text: string }, ctx: ChangeContext): Promise<CannedReplyRow> {
      await access.requireRole(userId, accountId, 'admin');
      if ((await repo.count(accountId)) >= CANNED_REPLIES_PER_ACCOUNT_MAX) throw cannedReplyErrors.tooMany(CANNED_REPLIES_PER_ACCOUNT_MAX);
      const row = await unique(input.shortcut, () => repo.insert(accountId, input));
      await audit({ action: 'canned_replies.created', actorUserId: userId, accountId, target: row.id, details: { shortcut: row.shortcut }, ...ctx });
      return row;
    },

    async update(userId: string, accountId: string, id: string, change: { shortcut?: string | undefined; text?: string | undefined }, ctx: ChangeContext): Promise<CannedReplyRow> {
      await access.requireRole(userId, accountId, 'admin');
      const row = await unique(change.shortcut, () =>
        repo.update(accountId, id, {
          ...(change.shortcut !== undefined ? { shortcut: change.shortcut } : {}),
          ...(change.text !== undefined ? { text: change.text } : {}),
        }),
      );
      if (!row) throw cannedReplyErrors.notFound();
      await audit({ action: 'canned_replies.updated', actorUserId: userId, accountId, target: row.id, details: { shortcut: row.shortcut }, ...ctx });
      return row;
    },

    async remove(userId: string, accountId: string, id: string, ctx: ChangeContext): Promise<CannedReplyRow> {
      await access.requireRole(userId, accountId, 'admin');
      const row = await repo.remove(accountId, id);
      if (!row) throw cannedReplyErrors.notFound();
      await audit({ action: 'canned_replies.deleted', actorUserId: userId, accountId, target: row.id, details: { shortcut: row.shortcut }, ...ctx });
      return row;
    },

    /**
     * A canned reply of the conversation's account with `{{contact.name}}`, `{{contact.username}}` and `{{agent.name}}`
     * filled in for this conversation and the signed-in person; 422 when the result passes Instagram's 1000 bytes.
     */
    async fill(auth: SessionAuth, conversationId: string, replyId: string): Promise<{ text: string; bytes: number }> {
      const { conversation, contact } = await deps.inbox.conversation(auth, conversationId, 'viewer');
      const reply = await repo.get(conversation.accountId, replyId);
      if (!reply) throw cannedReplyErrors.notFound();
      const text = fillCannedReply(reply.text, {
        'contact.name': contact.name ?? contact.username,
        'contact.username': contact.username,
        'agent.name': auth.username,
      });
      const bytes = utf8Bytes(text);
      if (bytes > MESSAGE_TEXT_MAX_BYTES) throw cannedReplyErrors.tooLong(bytes, MESSAGE_TEXT_MAX_BYTES);
      return { text, bytes };
    },
  };
}
export type CannedRepliesService = ReturnType<typeof createCannedRepliesService>;
