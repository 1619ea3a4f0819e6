import { z } from 'zod';
import {
  accountCrmSchema,
  accountListSchema,
  accountMemberListSchema,
  accountMemberSchema,
  adminUserListSchema,
  adminUserSchema,
  apiKeyListSchema,
  apiKeySchema,
  cannedReplyListSchema,
  contactPanelSchema,
  crmRecordLinkSchema,
  cannedReplySchema,
  conversationListSchema,
  conversationSchema,
  createdApiKeySchema,
  crmDeliveryListSchema as deliveryListSchema,
  crmDeliverySchema as deliverySchema,
  createdInvitationSchema,
  crmTestResultSchema,
  currentUserSchema,
  invitationListSchema,
  invitationPreviewSchema,
  invitationSchema,
  filledCannedReplySchema,
  labelListSchema,
  labelSchema,
  messageListSchema,
  messageSchema,
  passwordResetLinkSchema,
  passwordResetPreviewSchema,
  sessionResponseSchema,
  requeuedSchema,
  setupStatusSchema,
  unreadCountsSchema,
  uiPreferencesSchema,
  type UiPreferences,
  unlinkResultSchema,
  webhookEventDetailSchema,
  webhookEventListSchema,
  webhookSecretSchema,
  assignmentSettingsSchema,
  noteListSchema,
  noteSchema,
  notificationListSchema,
  type AccountRole,
  type ConversationStatusBody,
  type PresenceState,
  type InboxScope,
  type ApiKeyScope,
  type SendMessageBody,
} from '@threadline/contract';
import type { ApiClient } from './client.ts';
import { okSchema, uploadSchema } from './schemas.ts';

const anything = z.unknown();
const enc = encodeURIComponent;

/** Every HTTP route the web app calls, typed by the contract. */
export function createEndpoints(api: ApiClient) {
  const acc = (id: string) => `/api/v1/accounts/${enc(id)}`;
  return {
    auth: {
      login: (username: string, password: string) =>
        api.request('POST', '/api/v1/ui/session', { schema: sessionResponseSchema, body: { username, password }, allowUnauthorized: true }),
      logout: () => api.request('DELETE', '/api/v1/ui/session', { schema: okSchema, allowUnauthorized: true }),
      me: () => api.request('GET', '/api/v1/ui/me', { schema: currentUserSchema, allowUnauthorized: true }),
      switchAccount: (accountId: string) =>
        api.request('POST', '/api/v1/ui/session/switch', { schema: sessionResponseSchema, body: { account_id: accountId } }),
      setupStatus: () => api.request('GET', '/api/v1/setup', { schema: setupStatusSchema, allowUnauthorized: true }),
      setup: (username: string, password: string) =>
        api.request('POST', '/api/v1/setup', { schema: sessionResponseSchema, body: { username, password }, allowUnauthorized: true }),
      changePassword: (currentPassword: string, newPassword: string) =>
        api.request('POST', '/api/v1/ui/password', { schema: okSchema, body: { current_password: currentPassword, new_password: newPassword } }),
    },
    /** Invitation links and password-reset links: the token goes in the body, never in a URL. */
    teammates: {
      invitations: (id: string) => api.request('GET', `${acc(id)}/invitations`, { schema: invitationListSchema }),
      invite: (id: string, role: AccountRole, expiresInHours: number) =>
        api.request('POST', `${acc(id)}/invitations`, { schema: createdInvitationSchema, body: { role, expires_in_hours: expiresInHours } }),
      revoke: (id: string, invitationId: string) => api.request('DELETE', `${acc(id)}/invitations/${enc(invitationId)}`, { schema: invitationSchema }),
      lookupInvitation: (token: string) =>
        api.request('POST', '/api/v1/invitations/lookup', { schema: invitationPreviewSchema, body: { token }, allowUnauthorized: true }),
      acceptInvitation: (token: string, username: string, password: string) =>
        api.request('POST', '/api/v1/invitations/accept', { schema: sessionResponseSchema, body: { token, username, password }, allowUnauthorized: true }),
      issuePasswordReset: (userId: string) => api.request('POST', `/api/v1/admin/users/${enc(userId)}/password-reset`, { schema: passwordResetLinkSchema }),
      lookupPasswordReset: (token: string) =>
        api.request('POST', '/api/v1/password-resets/lookup', { schema: passwordResetPreviewSchema, body: { token }, allowUnauthorized: true }),
      resetPassword: (token: string, newPassword: string) =>
        api.request('POST', '/api/v1/password-resets/reset', { schema: okSchema, body: { token, new_password: newPassword }, allowUnauthorized: true }),
    },
    accounts: {
      list: () => api.request('GET', '/api/v1/accounts/me', { schema: accountListSchema }),
      setPrimary: (id: string) => api.request('POST', `${acc(id)}/set-primary`, { schema: anything }),
      unlink: (id: string) => api.request('DELETE', `${acc(id)}/unlink`, { schema: unlinkResultSchema }),
      members: (id: string) => api.request('GET', `${acc(id)}/members`, { schema: accountMemberListSchema }),
      addMember: (id: string, username: string, role: AccountRole) =>
        api.request('POST', `${acc(id)}/members`, { schema: accountMemberSchema, body: { username, role } }),
      updateMember: (id: string, userId: string, role: AccountRole) =>
        api.request('PATCH', `${acc(id)}/members/${enc(userId)}`, { schema: accountMemberSchema, body: { role } }),
      removeMember: (id: string, userId: string) => api.request('DELETE', `${acc(id)}/members/${enc(userId)}`, { schema: anything }),
    },
    apiKeys: {
      list: (id: string) => api.request('GET', `${acc(id)}/api-keys`, { schema: apiKeyListSchema }),
      create: (id: string, name: string, scopes: ApiKeyScope[]) =>
        api.request('POST', `${acc(id)}/api-keys`, { schema: createdApiKeySchema, body: { name, scopes } }),
      revoke: (id: string, keyId: string) => api.request('DELETE', `${acc(id)}/api-keys/${enc(keyId)}`, { schema: apiKeySchema }),
    },
    labels: {
      list: (id: string) => api.request('GET', `${acc(id)}/labels`, { schema: labelListSchema }),
      create: (id: string, name: string, color: string) => api.request('POST', `${acc(id)}/labels`, { schema: labelSchema, body: { name, color } }),
      update: (id: string, labelId: string, patch: { name?: string; color?: string }) =>
        api.request('PATCH', `${acc(id)}/labels/${enc(labelId)}`, { schema: labelSchema, body: patch }),
      remove: (id: string, labelId: string) => api.request('DELETE', `${acc(id)}/labels/${enc(labelId)}`, { schema: labelSchema }),
      setOnConversation: (conversationId: string, labelIds: string[]) =>
        api.request('PUT', `/api/v1/ui/conversations/${enc(conversationId)}/labels`, { schema: conversationSchema, body: { label_ids: labelIds } }),
    },
    cannedReplies: {
      list: (id: string) => api.request('GET', `${acc(id)}/canned-replies`, { schema: cannedReplyListSchema }),
      create: (id: string, shortcut: string, text: string) =>
        api.request('POST', `${acc(id)}/canned-replies`, { schema: cannedReplySchema, body: { shortcut, text } }),
      update: (id: string, replyId: string, patch: { shortcut?: string; text?: string }) =>
        api.request('PATCH', `${acc(id)}/canned-replies/${enc(replyId)}`, { schema: cannedReplySchema, body: patch }),
      remove: (id: string, replyId: string) => api.request('DELETE', `${acc(id)}/canned-replies/${enc(replyId)}`, { schema: cannedReplySchema }),
      fill: (conversationId: string, replyId: string) =>
        api.request('POST', `/api/v1/ui/conversations/${enc(conversationId)}/canned-replies/${enc(replyId)}/fill`, { schema: filledCannedReplySchema }),
    },
    preferences: {
      get: () => api.request('GET', '/api/v1/ui/preferences', { schema: uiPreferencesSchema }),
      update: (patch: Partial<UiPreferences>) => api.request('PUT', '/api/v1/ui/preferences', { schema: uiPreferencesSchema, body: patch }),
    },
    contacts: {
      panel: (conversationId: string) => api.request('GET', `/api/v1/ui/conversations/${enc(conversationId)}/contact`, { schema: contactPanelSchema }),
      recordLink: (id: string) => api.request('GET', `${acc(id)}/crm-record-link`, { schema: crmRecordLinkSchema }),
      setRecordLink: (id: string, template: string | null) => api.request('PUT', `${acc(id)}/crm-record-link`, { schema: crmRecordLinkSchema, body: { template } }),
    },
    crm: {
      get: (id: string) => api.request('GET', `${acc(id)}/crm`, { schema: accountCrmSchema }),
      setUrl: (id: string, url: string | null) => api.request('PATCH', acc(id), { schema: accountCrmSchema, body: { crm_webhook_url: url } }),
      secret: (id: string) => api.request('GET', `${acc(id)}/webhook-secret`, { schema: webhookSecretSchema }),
      rotateSecret: (id: string) => api.request('POST', `${acc(id)}/webhook-secret/rotate`, { schema: webhookSecretSchema }),
      test: (id: string) => api.request('POST', `${acc(id)}/crm/test`, { schema: crmTestResultSchema }),
      deliveries: (id: string, query: { status?: string; cursor?: string }) =>
        api.request('GET', `${acc(id)}/crm/deliveries`, { schema: deliveryListSchema, query: { ...query, limit: 50 } }),
      retry: (id: string, deliveryId: string) => api.request('POST', `${acc(id)}/crm/deliveries/${enc(deliveryId)}/retry`, { schema: deliverySchema }),
      recover: (id: string, since: string) => api.request('POST', `${acc(id)}/crm/recover`, { schema: requeuedSchema, body: { since } }),
    },
    admin: {
      users: () => api.request('GET', '/api/v1/admin/users', { schema: adminUserListSchema }),
      createUser: (username: string, password: string, isAdmin: boolean) =>
        api.request('POST', '/api/v1/admin/users', { schema: adminUserSchema, body: { username, password, is_admin: isAdmin } }),
      updateUser: (id: string, patch: { disabled?: boolean; is_admin?: boolean }) =>
        api.request('PATCH', `/api/v1/admin/users/${enc(id)}`, { schema: adminUserSchema, body: patch }),
      webhookEvents: (status: string | undefined) =>
        api.request('GET', '/api/v1/admin/webhook-events', { schema: webhookEventListSchema, query: { status, limit: 50 } }),
      webhookEvent: (id: number) => api.request('GET', `/api/v1/admin/webhook-events/${id}`, { schema: webhookEventDetailSchema }),
      reprocess: (ids: number[]) => api.request('POST', '/api/v1/admin/webhook-events/reprocess', { schema: requeuedSchema, body: { ids } }),
    },
    inbox: {
      conversations: (query: { scope?: InboxScope; filter: string; label_id?: string; q?: string; cursor?: string; limit?: number }, signal?: AbortSignal) =>
        api.request('GET', '/api/v1/ui/conversations', { schema: conversationListSchema, query: { ...query, limit: query.limit ?? 50 }, ...(signal ? { signal } : {}) }),
      messages: (conversationId: string, cursor?: string) =>
        api.request('GET', `/api/v1/ui/conversations/${enc(conversationId)}/messages`, { schema: messageListSchema, query: { cursor, limit: 50 } }),
      send: (conversationId: string, body: SendMessageBody, idempotencyKey: string) =>
        api.request('POST', `/api/v1/ui/conversations/${enc(conversationId)}/messages`, {
          schema: messageSchema,
          body,
          headers: { 'idempotency-key': idempotencyKey },
        }),
      retry: (conversationId: string, messageId: string) =>
        api.request('POST', `/api/v1/ui/conversations/${enc(conversationId)}/messages/${enc(messageId)}/retry`, { schema: messageSchema }),
      markRead: (conversationId: string) => api.request('POST', `/api/v1/ui/conversations/${enc(conversationId)}/read`, { schema: anything }),
      react: (conversationId: string, messageId: string, reaction: string) =>
        api.request('POST', `/api/v1/ui/conversations/${enc(conversationId)}/messages/${enc(messageId)}/reactions`, { schema: anything, body: { reaction } }),
      unreact: (conversationId: string, messageId: string) =>
        api.request('DELETE', `/api/v1/ui/conversations/${enc(conversationId)}/messages/${enc(messageId)}/reactions`, { schema: anything }),
      /** `accountId`: the account of the conversation the file is for (the "All accounts" inbox may show another). */
      upload: (file: File, accountId?: string) => api.request('POST', '/api/v1/ui/uploads', { schema: uploadSchema, file, query: { account_id: accountId } }),
      unread: () => api.request('GET', '/api/v1/ui/unread', { schema: unreadCountsSchema }),
      conversation: (id: string) => api.request('GET', `/api/v1/ui/conversations/${enc(id)}`, { schema: conversationSchema }),
    },
    workflow: {
      setStatus: (id: string, body: ConversationStatusBody) =>
        api.request('PATCH', `/api/v1/ui/conversations/${enc(id)}`, { schema: conversationSchema, body }),
      assign: (id: string, userId: string | null) =>
        api.request('PUT', `/api/v1/ui/conversations/${enc(id)}/assignee`, { schema: conversationSchema, body: { user_id: userId } }),
      notes: (id: string) => api.request('GET', `/api/v1/ui/conversations/${enc(id)}/notes`, { schema: noteListSchema }),
      addNote: (id: string, text: string) => api.request('POST', `/api/v1/ui/conversations/${enc(id)}/notes`, { schema: noteSchema, body: { text } }),
      editNote: (id: string, noteId: string, text: string) =>
        api.request('PATCH', `/api/v1/ui/conversations/${enc(id)}/notes/${enc(noteId)}`, { schema: noteSchema, body: { text } }),
      deleteNote: (id: string, noteId: string) => api.request('DELETE', `/api/v1/ui/conversations/${enc(id)}/notes/${enc(noteId)}`, { schema: okSchema }),
      presence: (id: string, state: PresenceState) =>
        api.request('POST', `/api/v1/ui/conversations/${enc(id)}/presence`, { schema: okSchema, body: { state } }),
      notifications: () => api.request('GET', '/api/v1/ui/notifications', { schema: notificationListSchema }),
      readNotifications: (ids?: string[]) => api.request('POST', '/api/v1/ui/notifications/read', { schema: okSchema, body: ids ? { ids } : {} }),
      assignment: (accountId: string) => api.request('GET', `${acc(accountId)}/assignment`, { schema: assignmentSettingsSchema }),
      updateAssignment: (accountId: string, body: { auto_assign?: boolean; max_open_per_member?: number }) =>
        api.request('PUT', `${acc(accountId)}/assignment`, { schema: assignmentSettingsSchema, body }),
      receiveConversations: (accountId: string, receives: boolean) =>
        api.request('PUT', `${acc(accountId)}/assignment/me`, { schema: assignmentSettingsSchema, body: { receives_conversations: receives } }),
    },
  };
}

export type Endpoints = ReturnType<typeof createEndpoints>;
