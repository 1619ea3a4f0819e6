import {
  CRM_EVENT_VERSION,
  type CrmAccount,
  type CrmContact,
  type CrmConversation,
  type CrmMessage,
} from '@threadline/contract';
import type { AccountRow } from '../../accounts/accounts.repository.ts';
import type { ContactRow, ConversationRow, MessageRow } from './crm-outbox.repository.ts';

/** Projections of our rows into the CRM payload shapes (docs/crm-webhooks.md); only these fields ever leave. */

/** The columns each projection reads (the outbox selects only these). */
export type CrmContactSource = Pick<ContactRow, 'id' | 'igsid' | 'username' | 'name'>;
export type CrmConversationSource = Pick<ConversationRow, 'id' | 'igConversationId' | 'createdAt'>;
export type CrmMessageSource = Pick<
  MessageRow,
  | 'id' | 'mid' | 'direction' | 'authorType' | 'kind' | 'text' | 'attachments' | 'replyToMid' | 'status' | 'sentAt' | 'readAt' | 'editedAt' | 'deletedAt'
  | 'editTextState' | 'isUnsupported'
>;

const iso = (d: Date) => d.toISOString();
const isoOrNull = (d: Date | null) => (d === null ? null : d.toISOString());

export function presentCrmAccount(row: AccountRow): CrmAccount {
  return { id: row.id, ig_user_id: row.igUserId, username: row.username, status: row.status };
}

export function presentCrmContact(row: CrmContactSource): CrmContact {
  return { id: row.id, igsid: row.igsid, username: row.username, name: row.name };
}

export function presentCrmConversation(row: CrmConversationSource): CrmConversation {
  return { id: row.id, ig_conversation_id: row.igConversationId, created_at: iso(row.createdAt) };
}

export function presentCrmMessage(row: CrmMessageSource): CrmMessage {
  return {
    id: row.id,
    mid: row.mid,
    direction: row.direction,
    author_type: row.authorType,
    kind: row.kind,
    text: row.deletedAt === null ? row.text : null,
    attachments:
      row.deletedAt === null ? row.attachments.map((a) => ({ type: a.type, url: a.url ?? null })) : [],
    reply_to_mid: row.replyToMid,
    status: row.status,
    sent_at: iso(row.sentAt),
    read_at: isoOrNull(row.readAt),
    edited_at: isoOrNull(row.editedAt),
    deleted_at: isoOrNull(row.deletedAt),
    edit_text_state: row.editTextState,
    unsupported: row.isUnsupported,
  };
}

export function envelope(type: string, id: string, createdAt: Date, data: Record<string, unknown>): Record<string, unknown> {
  return { type, version: CRM_EVENT_VERSION, id, created_at: iso(createdAt), data };
}
