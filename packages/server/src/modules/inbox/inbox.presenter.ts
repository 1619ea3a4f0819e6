import type { Conversation, Message } from '@threadline/contract';
import type { ConversationRow, InboxReadRepository, LabelsByConversation, MessageRow } from './inbox-read.repository.ts';
import { messagingWindow } from './window.ts';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export function presentConversation(row: ConversationRow, now: Date, humanAgentEnabled: boolean, labels: LabelsByConversation): Conversation {
  const { conversation: c, contact } = row;
  const w = messagingWindow(c.lastInboundAt, now, humanAgentEnabled);
  return {
    id: c.id,
    account_id: c.accountId,
    contact: {
      id: contact.id,
      igsid: contact.igsid,
      username: contact.username,
      name: contact.name,
      avatar_url: contact.profilePicUrl,
      follower_count: contact.followerCount,
      is_user_follow_business: contact.isUserFollowBusiness,
    },
    last_message: c.lastMessageAt
      ? { id: c.lastMessageId, preview: c.lastMessagePreview ?? '', direction: c.lastMessageDirection, at: c.lastMessageAt.toISOString() }
      : null,
    unread_count: c.unreadCount,
    needs_reply: c.needsReply,
    window: { state: w.state, closes_at: iso(w.closesAt), human_agent_until: iso(w.humanAgentUntil) },
    seen_at: iso(c.seenWatermarkAt),
    status: c.status,
    snoozed_until: c.status === 'snoozed' ? iso(c.snoozedUntil) : null,
    assignee: row.assignee ? { id: row.assignee.id, username: row.assignee.username } : null,
    updated_at: c.updatedAt.toISOString(),
    assignee_user_id: c.assigneeUserId,
    labels: labels.get(c.id) ?? [],
  };
}

type Extras = Awaited<ReturnType<InboxReadRepository['messageExtras']>>;

const str = (v: unknown) => (typeof v === 'string' ? v : null);

export function presentMessages(rows: MessageRow[], extras: Extras): Message[] {
  const reactionsBy = Map.groupBy(extras.reactions, (r) => r.messageId);
  const mediaBy = Map.groupBy(extras.media, (m) => m.messageId ?? '');
  const quotedBy = new Map(extras.quoted.map((q) => [q.mid, q]));
  const authorName = new Map(extras.authors.map((a) => [a.id, a.username]));
  const keyName = new Map(extras.keys.map((k) => [k.id, k.name]));
  const uploadsById = new Map(extras.uploads.map((u) => [u.id, u]));

  return rows.map((m) => {
    const media = mediaBy.get(m.id) ?? [];
    const quoted = m.replyToMid ? quotedBy.get(m.replyToMid) : undefined;
    const authorId = m.authorType === 'user' ? m.authorUserId : m.authorType === 'api_key' ? m.authorApiKeyId : null;
    const name =
      m.authorType === 'user' ? (authorName.get(m.authorUserId ?? '') ?? null)
      : m.authorType === 'api_key' ? (keyName.get(m.authorApiKeyId ?? '') ?? null)
      : m.authorType === 'instagram_app' ? 'Instagram app'
      : null;
    return {
      id: m.id,
      conversation_id: m.conversationId,
      mid: m.mid,
      direction: m.direction,
      author: { type: m.authorType, id: authorId, name },
      kind: m.kind,
      text: m.deletedAt ? null : m.text,
      attachments: m.deletedAt
        ? []
        : m.attachments.flatMap((a, index) => {
            // the message itself says it is unsupported; its link shows nothing
            if (a.type === 'unsupported_type') return [];
            // a mirrored copy is tied to the message; a file the agent uploaded is named by the attachment
            const copy = media.find((x) => x.attachmentIndex === index) ?? (a.mediaId ? uploadsById.get(a.mediaId) : undefined);
            return [{
              type: a.type,
              url: copy?.status === 'stored' ? `/api/v1/media/${copy.id}` : null,
              original_url: a.url ?? null,
              media_id: copy?.id ?? a.mediaId ?? null,
              media_status: copy?.status ?? null,
              title: str(a.payload?.title),
            }];
          }),
      reply_to:
        m.replyToMid || m.replyToStory
          ? {
              mid: m.replyToMid,
              message_id: quoted?.id ?? null,
              text: quoted?.text ?? null,
              story: m.replyToStory ? { id: m.replyToStory.id ?? null, url: m.replyToStory.url ?? null } : null,
            }
          : null,
      quick_reply_payload: m.quickReplyPayload,
      referral: m.referral,
      postback: m.postback ? { title: m.postback.title ?? null, payload: m.postback.payload ?? null } : null,
      reactions: (reactionsBy.get(m.id) ?? []).map((r) => ({ reactor: r.reactor, reaction: r.reaction, emoji: r.emoji })),
      status: m.status,
      error: m.errorCode !== null || m.errorMessage ? { code: m.errorCode, subcode: m.errorSubcode, message: m.errorMessage } : null,
      human_agent: m.humanAgent,
      sent_at: m.sentAt.toISOString(),
      read_at: iso(m.readAt),
      edited: m.editCount > 0,
      edit_text_state: m.deletedAt ? null : m.editTextState,
      deleted: m.deletedAt !== null,
      unsupported: m.isUnsupported,
    };
  });
}
