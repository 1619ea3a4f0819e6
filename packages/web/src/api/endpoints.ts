import {
  routes,
  type AccountRole,
  type ApiKeyScope,
  type ConversationStatusBody,
  type ConversationFilter,
  type CrmDeliveryStatus,
  type InboxScope,
  type PresenceState,
  type SendMessageBody,
  type UiPreferences,
  type WebhookEventStatus,
} from '@threadline/contract';
import type { ApiClient } from './client.ts';
import { createCaller } from './call.ts';

/** Every HTTP route the web app calls, each one a route of the contract's table. */
export function createEndpoints(api: ApiClient) {
  const call = createCaller(api);
  const { auth, accounts, apiKeys, teammates, labels, cannedReplies, contacts, crm, webhookAdmin, workflow } = routes;
  const inbox = routes.inbox.ui;
  const sending = routes.sending.ui;
  const account = (id: string) => ({ params: { id } });
  return {
    auth: {
      login: (username: string, password: string) => call(auth.login, { body: { username, password }, allowUnauthorized: true }),
      logout: () => call(auth.logout, { allowUnauthorized: true }),
      me: () => call(auth.me, { allowUnauthorized: true }),
      switchAccount: (accountId: string) => call(accounts.switchSession, { body: { account_id: accountId } }),
      setupStatus: () => call(auth.setupStatus, { allowUnauthorized: true }),
      setup: (username: string, password: string) => call(auth.setup, { body: { username, password }, allowUnauthorized: true }),
      changePassword: (currentPassword: string, newPassword: string) =>
        call(auth.changePassword, { body: { current_password: currentPassword, new_password: newPassword } }),
    },
    /** Invitation links and password-reset links: the token goes in the body, never in a URL. */
    teammates: {
      invitations: (id: string) => call(teammates.invitations, account(id)),
      invite: (id: string, role: AccountRole, expiresInHours: number) =>
        call(teammates.invite, { ...account(id), body: { role, expires_in_hours: expiresInHours } }),
      revoke: (id: string, invitationId: string) => call(teammates.revoke, { params: { id, invitationId } }),
      lookupInvitation: (token: string) => call(teammates.lookupInvitation, { body: { token }, allowUnauthorized: true }),
      acceptInvitation: (token: string, username: string, password: string) =>
        call(teammates.acceptInvitation, { body: { token, username, password }, allowUnauthorized: true }),
      issuePasswordReset: (userId: string) => call(teammates.issuePasswordReset, { params: { userId } }),
      lookupPasswordReset: (token: string) => call(teammates.lookupPasswordReset, { body: { token }, allowUnauthorized: true }),
      resetPassword: (token: string, newPassword: string) =>
        call(teammates.resetPassword, { body: { token, new_password: newPassword }, allowUnauthorized: true }),
    },
    accounts: {
      list: () => call(accounts.mine),
      setPrimary: (id: string) => call(accounts.setPrimary, account(id)),
      unlink: (id: string) => call(accounts.unlink, account(id)),
      members: (id: string) => call(accounts.members, account(id)),
      addMember: (id: string, username: string, role: AccountRole) => call(accounts.addMember, { ...account(id), body: { username, role } }),
      updateMember: (id: string, userId: string, role: AccountRole) => call(accounts.updateMember, { params: { id, userId }, body: { role } }),
      removeMember: (id: string, userId: string) => call(accounts.removeMember, { params: { id, userId } }),
    },
    apiKeys: {
      list: (id: string) => call(apiKeys.list, account(id)),
      create: (id: string, name: string, scopes: ApiKeyScope[]) => call(apiKeys.create, { ...account(id), body: { name, scopes } }),
      revoke: (id: string, keyId: string) => call(apiKeys.revoke, { params: { id, keyId } }),
    },
    labels: {
      list: (id: string) => call(labels.list, account(id)),
      create: (id: string, name: string, color: string) => call(labels.create, { ...account(id), body: { name, color } }),
      update: (id: string, labelId: string, patch: { name?: string; color?: string }) => call(labels.update, { params: { id, labelId }, body: patch }),
      remove: (id: string, labelId: string) => call(labels.remove, { params: { id, labelId } }),
      setOnConversation: (conversationId: string, labelIds: string[]) =>
        call(labels.setOnConversation, { params: { id: conversationId }, body: { label_ids: labelIds } }),
    },
    cannedReplies: {
      list: (id: string) => call(cannedReplies.list, account(id)),
      create: (id: string, shortcut: string, text: string) => call(cannedReplies.create, { ...account(id), body: { shortcut, text } }),
      update: (id: string, replyId: string, patch: { shortcut?: string; text?: string }) =>
        call(cannedReplies.update, { params: { id, replyId }, body: patch }),
      remove: (id: string, replyId: string) => call(cannedReplies.remove, { params: { id, replyId } }),
      fill: (conversationId: string, replyId: string) => call(cannedReplies.fill, { params: { id: conversationId, replyId } }),
    },
    preferences: {
      get: () => call(auth.preferences),
      update: (patch: Partial<UiPreferences>) => call(auth.updatePreferences, { body: patch }),
    },
    contacts: {
      panel: (conversationId: string) => call(inbox.contact, { params: { id: conversationId } }),
      recordLink: (id: string) => call(contacts.recordLink, account(id)),
      setRecordLink: (id: string, template: string | null) => call(contacts.setRecordLink, { ...account(id), body: { template } }),
    },
    crm: {
      get: (id: string) => call(crm.get, account(id)),
      setUrl: (id: string, url: string | null) => call(crm.setUrl, { ...account(id), body: { crm_webhook_url: url } }),
      secret: (id: string) => call(crm.secret, account(id)),
      rotateSecret: (id: string) => call(crm.rotateSecret, account(id)),
      test: (id: string) => call(crm.test, account(id)),
      deliveries: (id: string, query: { status?: CrmDeliveryStatus; cursor?: string }) =>
        call(crm.deliveries, { ...account(id), query: { ...query, limit: 50 } }),
      retry: (id: string, deliveryId: string) => call(crm.retry, { params: { id, deliveryId } }),
      recover: (id: string, since: string) => call(crm.recover, { ...account(id), body: { since } }),
    },
    admin: {
      users: () => call(auth.users),
      createUser: (username: string, password: string, isAdmin: boolean) =>
        call(auth.createUser, { body: { username, password, is_admin: isAdmin } }),
      updateUser: (id: string, patch: { disabled?: boolean; is_admin?: boolean }) => call(auth.updateUser, { params: { userId: id }, body: patch }),
      webhookEvents: (status: WebhookEventStatus | undefined) => call(webhookAdmin.list, { query: { status, limit: 50 } }),
      webhookEvent: (id: number) => call(webhookAdmin.get, { params: { id } }),
      reprocess: (ids: number[]) => call(webhookAdmin.reprocess, { body: { ids } }),
    },
    inbox: {
      conversations: (query: { scope?: InboxScope; filter: ConversationFilter; label_id?: string; q?: string; cursor?: string; limit?: number }, signal?: AbortSignal) =>
        call(inbox.listConversations, { query: { ...query, limit: query.limit ?? 50 }, ...(signal ? { signal } : {}) }),
      messages: (conversationId: string, cursor?: string) => call(inbox.listMessages, { params: { id: conversationId }, query: { cursor, limit: 50 } }),
      send: (conversationId: string, body: SendMessageBody, idempotencyKey: string) =>
        call(sending.send, { params: { id: conversationId }, body, headers: { 'idempotency-key': idempotencyKey } }),
      retry: (conversationId: string, messageId: string) => call(sending.retry, { params: { id: conversationId, messageId } }),
      markRead: (conversationId: string) => call(inbox.markRead, { params: { id: conversationId } }),
      react: (conversationId: string, messageId: string, reaction: string) =>
        call(sending.react, { params: { id: conversationId, messageId }, body: { reaction } }),
      unreact: (conversationId: string, messageId: string) => call(sending.unreact, { params: { id: conversationId, messageId } }),
      /** `accountId`: the account of the conversation the file is for (the "All accounts" inbox may show another). */
      upload: (file: File, accountId?: string) => call(sending.upload, { file, query: { account_id: accountId } }),
      unread: () => call(inbox.unread),
      conversation: (id: string) => call(inbox.getConversation, { params: { id } }),
    },
    workflow: {
      setStatus: (id: string, body: ConversationStatusBody) => call(workflow.ui.setStatus, { params: { id }, body }),
      assign: (id: string, userId: string | null) => call(workflow.ui.assign, { params: { id }, body: { user_id: userId } }),
      notes: (id: string) => call(workflow.ui.notes, { params: { id } }),
      addNote: (id: string, text: string) => call(workflow.ui.addNote, { params: { id }, body: { text } }),
      editNote: (id: string, noteId: string, text: string) => call(workflow.ui.editNote, { params: { id, noteId }, body: { text } }),
      deleteNote: (id: string, noteId: string) => call(workflow.ui.deleteNote, { params: { id, noteId } }),
      presence: (id: string, state: PresenceState) => call(workflow.ui.presence, { params: { id }, body: { state } }),
      notifications: () => call(workflow.ui.notifications),
      readNotifications: (ids?: string[]) => call(workflow.ui.readNotifications, { body: ids ? { ids } : {} }),
      assignment: (accountId: string) => call(workflow.ui.assignment, account(accountId)),
      updateAssignment: (accountId: string, body: { auto_assign?: boolean; max_open_per_member?: number }) =>
        call(workflow.ui.updateAssignment, { ...account(accountId), body }),
      receiveConversations: (accountId: string, receives: boolean) =>
        call(workflow.ui.receiveConversations, { ...account(accountId), body: { receives_conversations: receives } }),
    },
  };
}

export type Endpoints = ReturnType<typeof createEndpoints>;
