import type { Db } from '../src/db/client.ts';
import { contacts, conversations } from '../src/db/schema/index.ts';

/** A contact and its conversation on an account, active at `at` (the list shows only conversations with a message). */
export async function createConversation(
  db: Db,
  accountId: string,
  opts: { igsid?: string; username?: string | null; name?: string | null; at?: Date; unread?: number } = {},
) {
  const igsid = opts.igsid ?? `${Math.floor(Math.random() * 1e15)}`;
  const [contact] = await db
    .insert(contacts)
    .values({ accountId, igsid, username: opts.username === undefined ? `user_${igsid.slice(-5)}` : opts.username, name: opts.name ?? null })
    .returning();
  if (!contact) throw new Error('no contact');
  const at = opts.at ?? new Date();
  const [conversation] = await db
    .insert(conversations)
    .values({ accountId, contactId: contact.id, lastMessageAt: at, lastMessagePreview: 'hello', lastMessageDirection: 'inbound', lastInboundAt: at, unreadCount: opts.unread ?? 0 })
    .returning();
  if (!conversation) throw new Error('no conversation');
  return { contact, conversation };
}
