import { fillCrmRecordUrl, type ContactPanel } from '@threadline/contract';
import type { AccountAccess } from '../../accounts/account-access.ts';
import type { AuditLog, ChangeContext } from '../../audit/audit.repository.ts';
import type { RequestAuth } from '../../auth/auth.plugin.ts';
import type { InboxService } from '../inbox.service.ts';
import type { ContactsRepository } from './contacts.repository.ts';

export type ContactPanelServiceDeps = {
  repo: ContactsRepository;
  access: Pick<AccountAccess, 'requireRole'>;
  inbox: Pick<InboxService, 'conversation' | 'getConversation' | 'memberAccounts'>;
  audit: AuditLog;
};

/** The contact beside a thread, and each account's template of the link into the CRM's record of a contact. */
export function createContactPanelService(deps: ContactPanelServiceDeps) {
  const { repo, access, inbox } = deps;
  return {
    async panel(auth: RequestAuth, conversationId: string): Promise<ContactPanel> {
      const row = await inbox.conversation(auth, conversationId, 'viewer');
      const { contact, conversation } = row;
      const accountIds = await inbox.memberAccounts(auth);
      const [presented, others, firstMessageAt, template] = await Promise.all([
        inbox.getConversation(auth, conversationId),
        contact.username ? repo.otherConversations(contact.username, conversation.id, accountIds) : [],
        repo.firstMessageAt(conversation.id),
        repo.recordUrlTemplate(conversation.accountId),
      ]);
      const first = [firstMessageAt, contact.createdAt].filter((d): d is Date => d !== null).sort((a, b) => a.getTime() - b.getTime())[0] ?? contact.createdAt;
      return {
        contact: {
          ...presented.contact,
          is_business_follow_user: contact.isBusinessFollowUser,
          is_verified_user: contact.isVerifiedUser,
          first_contact_at: first.toISOString(),
        },
        other_conversations: others.map((o) => ({
          id: o.id,
          account_id: o.accountId,
          account_username: o.accountUsername,
          last_message_at: o.lastMessageAt?.toISOString() ?? null,
          last_message_preview: o.lastMessagePreview,
        })),
        labels: presented.labels,
        crm_record_url: template ? fillCrmRecordUrl(template, { igsid: contact.igsid, username: contact.username }) : null,
      };
    },

    async recordLink(userId: string, accountId: string) {
      await access.requireRole(userId, accountId, 'viewer');
      return { template: await repo.recordUrlTemplate(accountId) };
    },

    async setRecordLink(userId: string, accountId: string, template: string | null, ctx: ChangeContext) {
      await access.requireRole(userId, accountId, 'admin');
      await repo.setRecordUrlTemplate(accountId, template);
      await deps.audit({ action: 'accounts.crm_record_link_changed', actorUserId: userId, accountId, details: { set: template !== null }, ...ctx });
      return { template };
    },
  };
}
export type ContactPanelService = ReturnType<typeof createContactPanelService>;
