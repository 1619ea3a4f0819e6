import type { ApiKeyScope } from '@threadline/contract';
import type { RouteAuth } from '../../src/modules/auth/auth.plugin.ts';

/**
 * Who may call what: one rule per route, "METHOD /path" as Fastify knows it. route-auth.test.ts enumerates the
 * app's route table and fails on a route without a rule here, on a rule for a route that is gone, on a route whose
 * auth mode differs, and probes every rule: no credentials, a stranger, too low a role, a key without the scope.
 *
 * role:
 * - `public`: anyone; `public:<why>` says what protects it instead (a signature, a single-use token, a network)
 * - `user`: any signed-in user, about themselves or their session's account list
 * - `admin`: an instance administrator
 * - `account:<role>`: at least <role> on the account in the path (`:id`); a non-member gets 404
 * - `session-account:<role>`: at least <role> on the account the session (or API key) is on
 * - `conversation:<role>`: at least <role> on the conversation's account; another account's conversation is 404
 * - `media:<role>`: at least <role> on the account of the stored media
 */
export type Role =
  | 'public'
  | `public:${string}`
  | 'user'
  | 'admin'
  | `account:${'viewer' | 'admin' | 'owner'}`
  | `session-account:${'viewer' | 'admin'}`
  | `conversation:${'viewer' | 'admin'}`
  | 'media:viewer';

export type RouteRule = {
  auth: RouteAuth;
  role: Role;
  scope?: ApiKeyScope;
  /** a valid body, so a probe reaches the role check rather than the validation */
  body?: unknown;
  /** a probe that cannot run generically, and why (it is tested where it is named) */
  unprobed?: string;
};

const reaction = { reaction: 'love' };
const action = { action: 'typing_on' };
const send = { text: 'hello' };

export const ROUTE_RULES: Record<string, RouteRule> = {
  'GET /healthz': { auth: 'public', role: 'public' },
  'GET /readyz': { auth: 'public', role: 'public' },
  'GET /metrics': { auth: 'public', role: 'public:allowed network or METRICS_TOKEN (metrics.test.ts)' },
  'GET /assets/*': { auth: 'public', role: 'public' },
  'GET /*': { auth: 'public', role: 'public' },
  'GET /api/openapi.json': { auth: 'public', role: 'public' },
  'GET /api/docs': { auth: 'public', role: 'public' },
  'GET /api/docs/assets/:file': { auth: 'public', role: 'public' },
  'GET /media/public/:id/:expires/:signature': { auth: 'public', role: 'public:HMAC-signed expiring link (uploads.test.ts)' },

  'POST /api/v1/ui/session': { auth: 'public', role: 'public:password, throttled (password-attempts.test.ts)' },
  'DELETE /api/v1/ui/session': { auth: 'session', role: 'user' },
  'POST /api/v1/ui/session/switch': { auth: 'session', role: 'user', body: { account_id: '00000000-0000-4000-8000-000000000000' } },
  'GET /api/v1/ui/me': { auth: 'session', role: 'user' },
  'POST /api/v1/ui/password': { auth: 'session', role: 'user' },
  'GET /api/v1/ui/events': { auth: 'session', role: 'session-account:viewer' },
  'GET /api/v1/setup': { auth: 'public', role: 'public' },
  'POST /api/v1/setup': { auth: 'public', role: 'public:first run only, throttled (password-attempts.test.ts)' },

  'GET /api/v1/admin/users': { auth: 'session', role: 'admin' },
  'POST /api/v1/admin/users': { auth: 'session', role: 'admin', body: { username: 'probe-user', password: 'probe-password' } },
  'PATCH /api/v1/admin/users/:userId': { auth: 'session', role: 'admin', body: { disabled: false } },
  'POST /api/v1/admin/users/:userId/password-reset': { auth: 'session', role: 'admin' },
  'GET /api/v1/admin/webhook-events': { auth: 'session', role: 'admin' },
  'GET /api/v1/admin/webhook-events/:id': { auth: 'session', role: 'admin' },
  'POST /api/v1/admin/webhook-events/reprocess': { auth: 'session', role: 'admin', body: { ids: [1] } },
  'GET /api/v1/admin/invitations': { auth: 'session', role: 'admin' },
  'POST /api/v1/admin/invitations': { auth: 'session', role: 'admin', body: {} },
  'DELETE /api/v1/admin/invitations/:invitationId': { auth: 'session', role: 'admin' },

  'GET /api/v1/accounts/me': { auth: 'session', role: 'user' },
  'PATCH /api/v1/accounts/:id': { auth: 'session', role: 'account:admin', body: { crm_webhook_url: null } },
  'GET /api/v1/accounts/:id/api-keys': { auth: 'session', role: 'account:admin' },
  'POST /api/v1/accounts/:id/api-keys': { auth: 'session', role: 'account:admin', body: { name: 'CRM', scopes: ['messages:send'] } },
  'DELETE /api/v1/accounts/:id/api-keys/:keyId': { auth: 'session', role: 'account:admin' },
  'GET /api/v1/accounts/:id/crm': { auth: 'session', role: 'account:admin' },
  'POST /api/v1/accounts/:id/crm/test': { auth: 'session', role: 'account:admin' },
  'GET /api/v1/accounts/:id/crm/deliveries': { auth: 'session', role: 'account:admin' },
  'POST /api/v1/accounts/:id/crm/deliveries/:deliveryId/retry': { auth: 'session', role: 'account:admin' },
  'POST /api/v1/accounts/:id/crm/recover': { auth: 'session', role: 'account:admin', body: { since: '2026-01-01T00:00:00Z' } },
  'GET /api/v1/accounts/:id/webhook-secret': { auth: 'session', role: 'account:admin' },
  'POST /api/v1/accounts/:id/webhook-secret/rotate': { auth: 'session', role: 'account:admin' },
  'POST /api/v1/accounts/:id/set-primary': { auth: 'session', role: 'account:viewer' },
  'DELETE /api/v1/accounts/:id/unlink': { auth: 'session', role: 'account:owner' },
  'GET /api/v1/accounts/:id/members': { auth: 'session', role: 'account:viewer' },
  'POST /api/v1/accounts/:id/members': { auth: 'session', role: 'account:admin', body: { username: 'someone', role: 'viewer' } },
  'PATCH /api/v1/accounts/:id/members/:userId': { auth: 'session', role: 'account:admin', body: { role: 'viewer' } },
  // any member may remove themselves (leave); removing another needs admin (accounts.routes.test.ts)
  'DELETE /api/v1/accounts/:id/members/:userId': { auth: 'session', role: 'account:viewer' },
  'GET /api/v1/accounts/:id/invitations': { auth: 'session', role: 'account:admin' },
  'POST /api/v1/accounts/:id/invitations': { auth: 'session', role: 'account:admin', body: { role: 'viewer' } },
  'DELETE /api/v1/accounts/:id/invitations/:invitationId': { auth: 'session', role: 'account:admin' },

  'POST /api/v1/invitations/lookup': { auth: 'public', role: 'public:single-use link token (teammates.test.ts)' },
  'POST /api/v1/invitations/accept': { auth: 'public', role: 'public:single-use link token (teammates.test.ts)' },
  'POST /api/v1/password-resets/lookup': { auth: 'public', role: 'public:single-use link token (teammates.test.ts)' },
  'POST /api/v1/password-resets/reset': { auth: 'public', role: 'public:single-use link token (teammates.test.ts)' },

  'GET /api/v1/media/:id': { auth: 'session', role: 'media:viewer' },
  'POST /api/v1/ui/uploads': { auth: 'session', role: 'session-account:admin', unprobed: 'multipart body (uploads.test.ts)' },
  'GET /api/v1/ui/conversations': { auth: 'session', role: 'session-account:viewer' },
  'GET /api/v1/ui/conversations/:id': { auth: 'session', role: 'conversation:viewer' },
  'GET /api/v1/ui/conversations/:id/messages': { auth: 'session', role: 'conversation:viewer' },
  'POST /api/v1/ui/conversations/:id/messages': { auth: 'session', role: 'conversation:admin', body: send },
  'POST /api/v1/ui/conversations/:id/read': { auth: 'session', role: 'conversation:viewer' },
  'POST /api/v1/ui/conversations/:id/actions': { auth: 'session', role: 'conversation:admin', body: action },
  'POST /api/v1/ui/conversations/:id/messages/:messageId/reactions': { auth: 'session', role: 'conversation:admin', body: reaction },
  'DELETE /api/v1/ui/conversations/:id/messages/:messageId/reactions': { auth: 'session', role: 'conversation:admin' },
  'POST /api/v1/ui/conversations/:id/messages/:messageId/retry': { auth: 'session', role: 'conversation:admin' },

  // team workflow (workflow.routes.ts): status and assignee need a sender (admin+); every member reads and writes
  // notes, and edits or deletes only their own (workflow.test.ts)
  'PATCH /api/v1/ui/conversations/:id': { auth: 'session', role: 'conversation:admin', body: { status: 'done' } },
  'PUT /api/v1/ui/conversations/:id/assignee': { auth: 'session', role: 'conversation:admin', body: { user_id: null } },
  'GET /api/v1/ui/conversations/:id/notes': { auth: 'session', role: 'conversation:viewer' },
  'POST /api/v1/ui/conversations/:id/notes': { auth: 'session', role: 'conversation:viewer', body: { text: 'probe' } },
  'PATCH /api/v1/ui/conversations/:id/notes/:noteId': { auth: 'session', role: 'conversation:viewer', body: { text: 'probe' } },
  'DELETE /api/v1/ui/conversations/:id/notes/:noteId': { auth: 'session', role: 'conversation:viewer' },
  'POST /api/v1/ui/conversations/:id/presence': { auth: 'session', role: 'conversation:viewer', body: { state: 'viewing' } },
  'GET /api/v1/ui/notifications': { auth: 'session', role: 'user' },
  'POST /api/v1/ui/notifications/read': { auth: 'session', role: 'user', body: {} },
  'GET /api/v1/accounts/:id/assignment': { auth: 'session', role: 'account:viewer' },
  'PUT /api/v1/accounts/:id/assignment': { auth: 'session', role: 'account:admin', body: { auto_assign: false } },
  'PUT /api/v1/accounts/:id/assignment/me': { auth: 'session', role: 'account:viewer', body: { receives_conversations: false } },
  'PATCH /api/v1/conversations/:id': { auth: 'api_key', role: 'conversation:admin', scope: 'conversations:write', body: { status: 'done' } },
  'PUT /api/v1/conversations/:id/assignee': { auth: 'api_key', role: 'conversation:admin', scope: 'conversations:write', body: { user_id: null } },
  'GET /api/v1/conversations/:id/notes': { auth: 'api_key', role: 'conversation:viewer', scope: 'conversations:read' },
  'POST /api/v1/conversations/:id/notes': { auth: 'api_key', role: 'conversation:viewer', scope: 'conversations:write', body: { text: 'probe' } },
  'PATCH /api/v1/conversations/:id/notes/:noteId': { auth: 'api_key', role: 'conversation:viewer', scope: 'conversations:write', body: { text: 'probe' } },
  'DELETE /api/v1/conversations/:id/notes/:noteId': { auth: 'api_key', role: 'conversation:viewer', scope: 'conversations:write' },
  // labels, canned replies, "All accounts" (labels.routes.ts, canned-replies.routes.ts, inbox.routes.ts)
  'GET /api/v1/ui/unread': { auth: 'session', role: 'user' },
  'GET /api/v1/accounts/:id/labels': { auth: 'session', role: 'account:viewer' },
  'POST /api/v1/accounts/:id/labels': { auth: 'session', role: 'account:admin', body: { name: 'VIP', color: '#1d4ed8' } },
  'PATCH /api/v1/accounts/:id/labels/:labelId': { auth: 'session', role: 'account:admin', body: { name: 'VIP' } },
  'DELETE /api/v1/accounts/:id/labels/:labelId': { auth: 'session', role: 'account:admin' },
  'GET /api/v1/labels': { auth: 'api_key', role: 'session-account:viewer', scope: 'conversations:read' },
  'PUT /api/v1/ui/conversations/:id/labels': { auth: 'session', role: 'conversation:admin', body: { label_ids: [] } },
  'PUT /api/v1/conversations/:id/labels': { auth: 'api_key', role: 'conversation:admin', scope: 'conversations:write', body: { label_ids: [] } },
  'GET /api/v1/accounts/:id/canned-replies': { auth: 'session', role: 'account:viewer' },
  'POST /api/v1/accounts/:id/canned-replies': { auth: 'session', role: 'account:admin', body: { shortcut: 'hi', text: 'Hello' } },
  'PATCH /api/v1/accounts/:id/canned-replies/:replyId': { auth: 'session', role: 'account:admin', body: { text: 'Hello' } },
  'DELETE /api/v1/accounts/:id/canned-replies/:replyId': { auth: 'session', role: 'account:admin' },
  'POST /api/v1/ui/conversations/:id/canned-replies/:replyId/fill': { auth: 'session', role: 'conversation:viewer' },
  // contact panel, CRM record link, preferences (contacts.routes.ts, preferences.routes.ts)
  'GET /api/v1/ui/conversations/:id/contact': { auth: 'session', role: 'conversation:viewer' },
  'GET /api/v1/accounts/:id/crm-record-link': { auth: 'session', role: 'account:viewer' },
  'PUT /api/v1/accounts/:id/crm-record-link': { auth: 'session', role: 'account:admin', body: { template: null } },
  'GET /api/v1/ui/preferences': { auth: 'session', role: 'user' },
  'PUT /api/v1/ui/preferences': { auth: 'session', role: 'user', body: { browser_notifications: false } },
  'GET /api/v1/conversations': { auth: 'api_key', role: 'session-account:viewer', scope: 'conversations:read' },
  'GET /api/v1/conversations/:id': { auth: 'api_key', role: 'conversation:viewer', scope: 'conversations:read' },
  'GET /api/v1/conversations/:id/messages': { auth: 'api_key', role: 'conversation:viewer', scope: 'conversations:read' },
  'POST /api/v1/messages': { auth: 'api_key', role: 'session-account:admin', scope: 'messages:send', body: { recipient_igsid: '123', text: 'hi' } },
  'POST /api/v1/conversations/:id/actions': { auth: 'api_key', role: 'conversation:admin', scope: 'messages:send', body: action },
  'POST /api/v1/conversations/:id/messages/:messageId/reactions': { auth: 'api_key', role: 'conversation:admin', scope: 'messages:send', body: reaction },
  'DELETE /api/v1/conversations/:id/messages/:messageId/reactions': { auth: 'api_key', role: 'conversation:admin', scope: 'messages:send' },
  'POST /api/v1/conversations/:id/messages/:messageId/retry': { auth: 'api_key', role: 'conversation:admin', scope: 'messages:send' },

  'GET /webhooks/instagram': { auth: 'public', role: 'public:Meta verify token (webhooks tests)' },
  'POST /webhooks/instagram': { auth: 'public', role: 'public:Meta HMAC signature (webhook-signature.test.ts)' },
  'GET /oauth/instagram/authorize': { auth: 'public', role: 'public' },
  'GET /oauth/instagram/callback': { auth: 'public', role: 'public:single-use state bound to the browser (oauth-login.test.ts)' },
  'POST /oauth/instagram/deauthorize': { auth: 'public', role: 'public:Meta signed_request (meta-callbacks.test.ts)' },
  'POST /oauth/instagram/data-deletion': { auth: 'public', role: 'public:Meta signed_request (meta-callbacks.test.ts)' },
  'GET /oauth/instagram/data-deletion/:code': { auth: 'public', role: 'public:confirmation code' },
  'GET /oauth/facebook/authorize': { auth: 'public', role: 'public' },
  'GET /oauth/facebook/callback': { auth: 'public', role: 'public:single-use state bound to the browser (facebook-login.test.ts)' },
  'GET /oauth/facebook/pages/:id': { auth: 'public', role: 'public:single-use choice bound to the browser (facebook-login.test.ts)' },
  'POST /oauth/facebook/pages/:id': { auth: 'public', role: 'public:single-use choice bound to the browser (facebook-login.test.ts)' },
  'POST /oauth/facebook/deauthorize': { auth: 'public', role: 'public:Meta signed_request (facebook-callbacks.test.ts)' },
  'POST /oauth/facebook/data-deletion': { auth: 'public', role: 'public:Meta signed_request (facebook-callbacks.test.ts)' },
  'GET /oauth/facebook/data-deletion/:code': { auth: 'public', role: 'public:confirmation code' },
};
