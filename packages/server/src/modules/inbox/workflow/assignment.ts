import type { Actor } from '@threadline/contract';
import type { Db } from '../../../db/client.ts';
import type { AuditLog } from '../../audit/audit.repository.ts';
import type { InboxEvent } from '../../../events/inbox-events.ts';
import { workflowRepository as repo } from './workflow.repository.ts';

type Named = { id: string; username: string };

/** A conversation's assignee changed: what a CRM and every teammate hear. */
export function assignedEvent(accountId: string, conversationId: string, at: Date, to: Named | null, from: Named | null, by: Actor): InboxEvent {
  return {
    type: 'conversation.assigned',
    accountId,
    conversationId,
    occurredAt: at,
    crm: { assignee: to, previous_assignee: from, changed_by: by },
    live: { assignee_id: to?.id ?? null, previous_assignee_id: from?.id ?? null, by: by.name },
  };
}

/**
 * The assignments nobody asks for by hand, made inside the transaction of what caused them: a reply to an
 * unassigned conversation makes it the replier's, and on accounts that auto-assign, a conversation a customer opened
 * goes round robin to the members who receive conversations.
 */
export function createAutoAssignment(deps: { audit: AuditLog; now: () => Date }) {
  return {
    async assignOnReply(tx: Db, accountId: string, conversationId: string, user: Named, at: Date): Promise<InboxEvent[]> {
      if (!(await repo.assignIfUnassigned(tx, conversationId, user.id, at))) return [];
      await deps.audit({ action: 'conversations.assigned', actorUserId: user.id, accountId, target: conversationId, details: { assignee: user.id, reason: 'replied' } }, tx);
      return [assignedEvent(accountId, conversationId, at, user, null, { type: 'user', id: user.id, name: user.username })];
    },

    async autoAssign(tx: Db, opened: { accountId: string; conversationId: string; limit: number }[]): Promise<InboxEvent[]> {
      const events: InboxEvent[] = [];
      const at = deps.now();
      for (const o of opened) {
        const state = await repo.lock(tx, o.accountId, o.conversationId);
        if (!state || state.assigneeUserId || state.status !== 'open') continue;
        const member = await repo.pickNextAssignee(tx, o.accountId, o.limit);
        if (!member) continue;
        await repo.setAssignee(tx, o.conversationId, member.id, at);
        await repo.markAutoAssigned(tx, o.accountId, member.id, at);
        events.push(assignedEvent(o.accountId, o.conversationId, at, member, null, { type: 'system', id: null, name: 'Auto-assignment' }));
        await deps.audit({ action: 'conversations.assigned', accountId: o.accountId, target: o.conversationId, details: { assignee: member.id, reason: 'auto_assign' } }, tx);
      }
      return events;
    },
  };
}
export type AutoAssignment = ReturnType<typeof createAutoAssignment>;
