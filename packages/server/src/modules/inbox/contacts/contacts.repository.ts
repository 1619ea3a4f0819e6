import { and, desc, eq, inArray, min, ne, sql } from 'drizzle-orm';
import type { Db } from '../../../db/client.ts';
import { accounts, contacts, conversations, messages } from '../../../db/schema/index.ts';

/** What the contact panel reads beyond the conversation: other conversations, first contact, the CRM link template. */
export function createContactsRepository(db: Db) {
  return {
    /**
     * Conversations of the same username on other accounts of `accountIds` (IGSIDs are per account, so the username
     * is what ties one person's conversations together), newest first.
     */
    async otherConversations(username: string, exceptConversationId: string, accountIds: string[], limit = 10) {
      if (accountIds.length === 0) return [];
      return db
        .select({
          id: conversations.id,
          accountId: conversations.accountId,
          accountUsername: accounts.username,
          lastMessageAt: conversations.lastMessageAt,
          lastMessagePreview: conversations.lastMessagePreview,
        })
        .from(contacts)
        .innerJoin(conversations, and(eq(conversations.contactId, contacts.id), eq(conversations.accountId, contacts.accountId)))
        .innerJoin(accounts, eq(accounts.id, conversations.accountId))
        .where(and(inArray(contacts.accountId, accountIds), sql`lower(${contacts.username}) = lower(${username})`, ne(conversations.id, exceptConversationId)))
        .orderBy(desc(conversations.lastMessageAt))
        .limit(limit);
    },

    /** The time of the conversation's first message (on `messages_conversation_time_idx`), if it has one. */
    async firstMessageAt(conversationId: string): Promise<Date | null> {
      const [row] = await db.select({ at: min(messages.sentAt) }).from(messages).where(eq(messages.conversationId, conversationId));
      return row?.at ?? null;
    },

    async recordUrlTemplate(accountId: string): Promise<string | null> {
      const [row] = await db.select({ template: accounts.crmRecordUrlTemplate }).from(accounts).where(eq(accounts.id, accountId));
      return row?.template ?? null;
    },

    async setRecordUrlTemplate(accountId: string, template: string | null): Promise<void> {
      await db.update(accounts).set({ crmRecordUrlTemplate: template, updatedAt: new Date() }).where(eq(accounts.id, accountId));
    },
  };
}
export type ContactsRepository = ReturnType<typeof createContactsRepository>;
