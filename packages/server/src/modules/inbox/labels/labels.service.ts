import { LABELS_PER_ACCOUNT_MAX, type Conversation } from '@threadline/contract';
import type { Db } from '../../../db/client.ts';
import { isUniqueViolation } from '../../../shared/db-errors.ts';
import type { AccountAccess } from '../../accounts/account-access.ts';
import type { AuditLog, ChangeContext } from '../../audit/audit.repository.ts';
import type { RequestAuth } from '../../auth/auth.plugin.ts';
import { recordAll, type EventActor, type EventLabel, type InboxUnitsOfWork } from '../../../events/inbox-events.ts';
import type { InboxService } from '../inbox.service.ts';
import { labelErrors } from './labels.errors.ts';
import type { LabelRow, LabelsRepository } from './labels.repository.ts';

export type LabelsServiceDeps = {
  db: Db;
  repo: LabelsRepository;
  access: Pick<AccountAccess, 'requireRole'>;
  inbox: Pick<InboxService, 'accountOf' | 'conversation' | 'presentConversationById'>;
  units: InboxUnitsOfWork;
  audit: AuditLog;
  now: () => Date;
};

const eventLabel = (l: LabelRow): EventLabel => ({ id: l.id, name: l.name, color: l.color });
const actorOf = (auth: RequestAuth): EventActor =>
  auth.kind === 'session' ? { type: 'user', id: auth.userId } : { type: 'api_key', id: auth.keyId };
const auditActor = (auth: RequestAuth) => (auth.kind === 'session' ? { actorUserId: auth.userId } : { actorApiKeyId: auth.keyId });

/**
 * Labels of an account (any member reads them; admins and owners make, change and delete them) and the labels of
 * a conversation (set by those who may send: admins and owners, or an API key with `conversations:write`).
 */
export function createLabelsService(deps: LabelsServiceDeps) {
  const { repo, access, audit, units } = deps;

  return {
    async list(userId: string, accountId: string): Promise<LabelRow[]> {
      await access.requireRole(userId, accountId, 'viewer');
      return repo.list(accountId);
    },

    /** The labels of the account the caller acts on (a session's current account, or an API key's). */
    async listFor(auth: RequestAuth): Promise<LabelRow[]> {
      return repo.list(await deps.inbox.accountOf(auth, 'viewer'));
    },

    async create(userId: string, accountId: string, input: { name: string; color: string }, ctx: ChangeContext): Promise<LabelRow> {
      await access.requireRole(userId, accountId, 'admin');
      if ((await repo.count(accountId)) >= LABELS_PER_ACCOUNT_MAX) throw labelErrors.tooMany(LABELS_PER_ACCOUNT_MAX);
      try {
        const row = await repo.insert(accountId, input);
        await audit({ action: 'labels.created', actorUserId: userId, accountId, target: row.id, details: { name: row.name }, ...ctx });
        return row;
      } catch (error) {
        if (isUniqueViolation(error)) throw labelErrors.nameTaken(input.name);
        throw error;
      }
    },

    async update(userId: string, accountId: string, labelId: string, change: { name?: string | undefined; color?: string | undefined }, ctx: ChangeContext): Promise<LabelRow> {
      await access.requireRole(userId, accountId, 'admin');
      try {
        const row = await repo.update(accountId, labelId, {
          ...(change.name !== undefined ? { name: change.name } : {}),
          ...(change.color !== undefined ? { color: change.color } : {}),
        });
        if (!row) throw labelErrors.notFound();
        await audit({ action: 'labels.updated', actorUserId: userId, accountId, target: row.id, details: { name: row.name }, ...ctx });
        return row;
      } catch (error) {
        if (isUniqueViolation(error)) throw labelErrors.nameTaken(change.name ?? '');
        throw error;
      }
    },

    /** Deletes a label; it leaves every conversation that carried it. */
    async remove(userId: string, accountId: string, labelId: string, ctx: ChangeContext): Promise<LabelRow> {
      await access.requireRole(userId, accountId, 'admin');
      const row = await repo.remove(accountId, labelId);
      if (!row) throw labelErrors.notFound();
      await audit({ action: 'labels.deleted', actorUserId: userId, accountId, target: row.id, details: { name: row.name }, ...ctx });
      return row;
    },

    /**
     * Replaces the labels of a conversation. Every label must be one of the conversation's account; a change is
     * recorded (live update, CRM `conversation.labels_changed`, audit) in the same transaction, and only when the
     * set differs.
     */
    async setOnConversation(auth: RequestAuth, conversationId: string, labelIds: string[], ctx: ChangeContext): Promise<Conversation> {
      const { conversation } = await deps.inbox.conversation(auth, conversationId, 'admin');
      const accountId = conversation.accountId;
      const wanted = [...new Set(labelIds)];
      const found = await repo.byIds(accountId, wanted);
      const missing = wanted.filter((id) => !found.some((l) => l.id === id));
      if (missing.length > 0) throw labelErrors.otherAccount(missing);
      await units.run(async (uow) => {
        const { tx } = uow;
        const current = await repo.ofConversationLocked(conversation.id, tx);
        const added = found.filter((l) => !current.some((c) => c.id === l.id));
        const removed = current.filter((c) => !wanted.includes(c.id));
        if (added.length === 0 && removed.length === 0) return;
        await repo.setOnConversation(accountId, conversation.id, added.map((l) => l.id), removed.map((l) => l.id), tx);
        const event = {
          type: 'conversation.labels_changed' as const,
          accountId,
          conversationId: conversation.id,
          labels: [...found].sort((a, b) => a.name.localeCompare(b.name)).map(eventLabel),
          added: added.map(eventLabel),
          removed: removed.map(eventLabel),
          actor: actorOf(auth),
          occurredAt: deps.now(),
        };
        await recordAll(uow, [event]);
        await audit(
          {
            action: 'conversations.labels_changed',
            ...auditActor(auth),
            accountId,
            target: conversation.id,
            details: { added: event.added.map((l) => l.id), removed: event.removed.map((l) => l.id) },
            ...ctx,
          },
          tx,
        );
      });
      const presented = await deps.inbox.presentConversationById(accountId, conversation.id);
      if (!presented) throw new Error('the conversation went missing while its labels changed');
      return presented;
    },
  };
}
export type LabelsService = ReturnType<typeof createLabelsService>;
