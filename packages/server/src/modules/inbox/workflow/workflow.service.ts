import type { Actor, AssignmentSettings, Conversation, ConversationStatusBody, PresenceState } from '@threadline/contract';
import type { Db } from '../../../db/client.ts';
import type { Queue } from '../../../jobs/queue.ts';
import type { AccountAccess } from '../../accounts/account-access.ts';
import type { AuditLog } from '../../audit/audit.repository.ts';
import type { RequestAuth } from '../../auth/auth.plugin.ts';
import { recordAll, type InboxUnitsOfWork } from '../../../events/inbox-events.ts';
import type { InboxService } from '../inbox.service.ts';
import { assignedEvent } from './assignment.ts';
import { workflowErrors } from './workflow.errors.ts';
import { workflowRepository as repo } from './workflow.repository.ts';
import { accountErrors } from '../../accounts/accounts.errors.ts';
import { inboxErrors } from '../inbox.errors.ts';
import { jobs } from '../../../jobs/registry.ts';

/** Conversations opened again per run of the wake job (it runs again while some are due). */
const WAKE_BATCH = 500;

/** Where a change came from, for the audit log. */
export type RequestMeta = { ip?: string; requestId?: string };

export type WorkflowServiceDeps = {
  db: Db;
  queue: Pick<Queue, 'enqueueInTx'>;
  units: InboxUnitsOfWork;
  access: Pick<AccountAccess, 'requireRole'>;
  inbox: Pick<InboxService, 'conversation' | 'presentConversationById'>;
  audit: AuditLog;
  now: () => Date;
};

export function actorOf(auth: RequestAuth): Actor {
  return auth.kind === 'session' ? { type: 'user', id: auth.userId, name: auth.username } : { type: 'api_key', id: auth.keyId, name: null };
}

export const auditActor = (auth: RequestAuth) =>
  auth.kind === 'session' ? { actorUserId: auth.userId } : { actorApiKeyId: auth.keyId };

/**
 * Status and assignment of conversations. Changing either needs a member who may send (admin or owner) or an API
 * key with `conversations:write`; every change is one transaction with its live update, its CRM event and its
 * audit entry.
 */
export function createWorkflowService(deps: WorkflowServiceDeps) {
  const { db, units, now } = deps;

  async function present(accountId: string, conversationId: string): Promise<Conversation> {
    const c = await deps.inbox.presentConversationById(accountId, conversationId);
    if (!c) throw inboxErrors.conversationNotFound();
    return c;
  }

  return {
    async setStatus(auth: RequestAuth, conversationId: string, body: ConversationStatusBody, meta: RequestMeta = {}): Promise<Conversation> {
      const conv = await deps.inbox.conversation(auth, conversationId, 'admin');
      const accountId = conv.conversation.accountId;
      const at = now();
      const until = body.snoozed_until ? new Date(body.snoozed_until) : null;
      if (until && until.getTime() <= at.getTime()) throw workflowErrors.snoozeInPast(until);
      await units.run(async (uow) => {
        const { tx } = uow;
        const state = await repo.lock(tx, accountId, conversationId);
        if (!state) throw inboxErrors.conversationNotFound();
        if (state.status === body.status && (state.snoozedUntil?.getTime() ?? null) === (until?.getTime() ?? null)) return;
        await repo.setStatus(tx, conversationId, body.status, until, at);
        // Wakes it at its time on whichever process works the queue (the minute sweep catches anything missed).
        if (until) await deps.queue.enqueueInTx(tx, jobs.conversationsWakeSnoozed, {}, { startAfter: until });
        const by = actorOf(auth);
        await recordAll(uow, [
          {
            type: 'conversation.status_changed',
            accountId,
            conversationId,
            occurredAt: at,
            crm: { status: body.status, previous_status: state.status, snoozed_until: until?.toISOString() ?? null, changed_by: by },
            live: { status: body.status, previous_status: state.status, by: by.name },
          },
        ]);
        await deps.audit(
          {
            action: 'conversations.status_changed',
            ...auditActor(auth),
            accountId,
            target: conversationId,
            details: { status: body.status, previous_status: state.status, snoozed_until: until?.toISOString() ?? null },
            ...meta,
          },
          tx,
        );
      });
      return present(accountId, conversationId);
    },

    async assign(auth: RequestAuth, conversationId: string, userId: string | null, meta: RequestMeta = {}): Promise<Conversation> {
      const conv = await deps.inbox.conversation(auth, conversationId, 'admin');
      const accountId = conv.conversation.accountId;
      const at = now();
      await units.run(async (uow) => {
        const { tx } = uow;
        const state = await repo.lock(tx, accountId, conversationId);
        if (!state) throw inboxErrors.conversationNotFound();
        let to: { id: string; username: string } | null = null;
        if (userId) {
          const member = await repo.member(tx, accountId, userId);
          if (!member) throw workflowErrors.assigneeNotMember();
          if (member.role === 'viewer') throw workflowErrors.assigneeCannotSend(member.role);
          to = { id: member.id, username: member.username };
        }
        if (state.assigneeUserId === userId) return;
        const names = await repo.usernames(tx, state.assigneeUserId ? [state.assigneeUserId] : []);
        const from = state.assigneeUserId ? { id: state.assigneeUserId, username: names.get(state.assigneeUserId) ?? '' } : null;
        await repo.setAssignee(tx, conversationId, userId, at);
        await recordAll(uow, [assignedEvent(accountId, conversationId, at, to, from, actorOf(auth))]);
        await deps.audit(
          { action: 'conversations.assigned', ...auditActor(auth), accountId, target: conversationId, details: { assignee: userId, previous_assignee: state.assigneeUserId }, ...meta },
          tx,
        );
      });
      return present(accountId, conversationId);
    },

    /** Opens snoozed conversations whose time has come; answers how many. Runs on whichever process works the queue. */
    async wakeSnoozed(): Promise<number> {
      let total = 0;
      for (;;) {
        const at = now();
        const woken = await units.run(async (uow) => {
          const { tx } = uow;
          const rows = await repo.wakeDue(tx, at, WAKE_BATCH);
          const by: Actor = { type: 'system', id: null, name: 'Snooze ended' };
          await recordAll(uow, rows.map((r) => ({
              type: 'conversation.status_changed' as const,
              accountId: r.account_id,
              conversationId: r.id,
              occurredAt: at,
              crm: { status: 'open', previous_status: 'snoozed', snoozed_until: null, changed_by: by },
              live: { status: 'open', previous_status: 'snoozed', by: null },
            })),
          );
          return rows.length;
        });
        total += woken;
        if (woken < WAKE_BATCH) return total;
      }
    },

    /** "I have it open" / "I am typing" / "I left": a live update only (nothing is stored but the live log's row). */
    async presence(auth: RequestAuth & { kind: 'session' }, conversationId: string, state: PresenceState): Promise<void> {
      const conv = await deps.inbox.conversation(auth, conversationId, 'viewer');
      await units.run((uow) =>
        recordAll(uow, [
          {
            type: 'presence.updated',
            accountId: conv.conversation.accountId,
            conversationId,
            occurredAt: now(),
            live: { user_id: auth.userId, username: auth.username, state },
          },
        ]),
      );
    },

    async assignmentSettings(userId: string, accountId: string): Promise<AssignmentSettings> {
      await deps.access.requireRole(userId, accountId, 'viewer');
      const s = await repo.settings(db, accountId);
      if (!s) throw accountErrors.notFound();
      return {
        auto_assign: s.autoAssign,
        max_open_per_member: s.limit,
        members: s.members.map((m) => ({ user_id: m.userId, username: m.username, role: m.role, receives_conversations: m.receives, open_assigned: Number(m.open) })),
      };
    },

    async updateAssignmentSettings(
      userId: string,
      accountId: string,
      patch: { auto_assign?: boolean | undefined; max_open_per_member?: number | undefined },
      meta: RequestMeta = {},
    ): Promise<AssignmentSettings> {
      await deps.access.requireRole(userId, accountId, 'admin');
      await units.run(async (uow) => {
        const { tx } = uow;
        await repo.updateSettings(tx, accountId, {
          ...(patch.auto_assign !== undefined ? { autoAssignEnabled: patch.auto_assign } : {}),
          ...(patch.max_open_per_member !== undefined ? { autoAssignLimit: patch.max_open_per_member } : {}),
        });
        await deps.audit({ action: 'accounts.auto_assign_updated', actorUserId: userId, accountId, details: { ...patch }, ...meta }, tx);
      });
      return this.assignmentSettings(userId, accountId);
    },

    async setReceivesConversations(userId: string, accountId: string, receives: boolean, meta: RequestMeta = {}): Promise<AssignmentSettings> {
      const member = await deps.access.requireRole(userId, accountId, 'viewer');
      if (receives && member.role === 'viewer') throw workflowErrors.assignmentNeedsSender();
      await units.run(async (uow) => {
        const { tx } = uow;
        await repo.setReceives(tx, accountId, userId, receives);
        await deps.audit({ action: 'accounts.receives_conversations_updated', actorUserId: userId, accountId, target: userId, details: { receives }, ...meta }, tx);
      });
      return this.assignmentSettings(userId, accountId);
    },
  };
}
export type WorkflowService = ReturnType<typeof createWorkflowService>;
