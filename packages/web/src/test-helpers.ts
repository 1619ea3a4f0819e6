import type { AccountSummary, Conversation, Message } from '@threadline/contract';

/** Builders for the contract's shapes, with every field filled; tests override what they are about. */
export function conversation(over: Partial<Conversation> & { id: string }): Conversation {
  return {
    account_id: 'acc-1',
    contact: { id: `c-${over.id}`, igsid: '1100', username: 'jane', name: 'Jane Doe', avatar_url: null, follower_count: null, is_user_follow_business: null },
    last_message: { id: null, preview: 'Hi', direction: 'inbound', at: '2026-01-01T10:00:00.000Z' },
    unread_count: 0,
    needs_reply: false,
    window: { state: 'open', closes_at: '2026-01-02T10:00:00.000Z', human_agent_until: null },
    seen_at: null,
    status: 'open',
    snoozed_until: null,
    assignee: null,
    updated_at: '2026-01-01T10:00:00.000Z',
    labels: [],
    assignee_user_id: null,
    ...over,
  };
}

export function message(over: Partial<Message> & { id: string }): Message {
  return {
    conversation_id: 'conv-1',
    mid: `mid-${over.id}`,
    direction: 'inbound',
    author: { type: 'contact', id: null, name: null },
    kind: 'text',
    text: 'Hello',
    attachments: [],
    reply_to: null,
    quick_reply_payload: null,
    referral: null,
    postback: null,
    reactions: [],
    status: 'received',
    error: null,
    human_agent: false,
    sent_at: '2026-01-01T10:00:00.000Z',
    read_at: null,
    edited: false,
    edit_text_state: null,
    deleted: false,
    unsupported: false,
    ...over,
  };
}

export function account(over: Partial<AccountSummary> & { id: string }): AccountSummary {
  return {
    ig_user_id: '17841400000000001',
    username: 'acme_shop',
    name: 'Acme Shop',
    profile_picture_url: null,
    followers_count: 1200,
    role: 'owner',
    is_primary: true,
    status: 'active',
    status_reason: null,
    token_expires_at: '2026-03-01T10:00:00.000Z',
    last_synced_at: '2026-01-01T10:00:00.000Z',
    crm_webhook_url_set: false,
    is_legacy: false,
    login_path: 'instagram_login',
    facebook_page: null,
    ...over,
  };
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}
