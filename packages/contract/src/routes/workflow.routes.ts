import { okSchema } from '../common.ts';
import { conversationSchema } from '../inbox.ts';
import {
  assigneeBodySchema,
  assignmentMeBodySchema,
  assignmentSettingsBodySchema,
  assignmentSettingsSchema,
  conversationStatusBodySchema,
  noteBodySchema,
  noteListSchema,
  noteSchema,
  notificationListSchema,
  notificationsReadBodySchema,
  presenceBodySchema,
} from '../workflow.ts';
import { defineRoute, uiAndApi } from './define.ts';
import { accountParams, conversationParams, noteParams } from './params.ts';

const tag = 'Team workflow';

const setStatus = uiAndApi('/conversations/:id', 'conversations:write', {
  method: 'PATCH', tag, role: 'conversation:admin',
  summary: 'Open, snooze or close a conversation', params: conversationParams, body: conversationStatusBodySchema,
  response: { 200: conversationSchema },
});
const assign = uiAndApi('/conversations/:id/assignee', 'conversations:write', {
  method: 'PUT', tag, role: 'conversation:admin',
  summary: 'Assign a conversation to a member, or to no one', params: conversationParams, body: assigneeBodySchema,
  response: { 200: conversationSchema },
});
const notes = uiAndApi('/conversations/:id/notes', 'conversations:read', {
  method: 'GET', tag, role: 'conversation:viewer',
  summary: 'A conversation’s internal notes', params: conversationParams, response: { 200: noteListSchema },
});
const addNote = uiAndApi('/conversations/:id/notes', 'conversations:write', {
  method: 'POST', tag, role: 'conversation:viewer',
  summary: 'Add an internal note (mentions notify)', params: conversationParams, body: noteBodySchema, response: { 201: noteSchema },
});
const editNote = uiAndApi('/conversations/:id/notes/:noteId', 'conversations:write', {
  method: 'PATCH', tag, role: 'conversation:viewer',
  summary: 'Edit one’s own note', params: noteParams, body: noteBodySchema, response: { 200: noteSchema },
});
const deleteNote = uiAndApi('/conversations/:id/notes/:noteId', 'conversations:write', {
  method: 'DELETE', tag, role: 'conversation:viewer',
  summary: 'Delete one’s own note', params: noteParams, response: { 200: okSchema },
});

/**
 * How a team works a conversation: status, assignee and notes for the web app (`ui`, a session) and for a CRM
 * (`api`, an API key with `conversations:write`; reading notes needs `conversations:read`). Presence, notifications
 * and the account's auto-assignment are the web app's only.
 */
export const workflowRoutes = {
  ui: {
    setStatus: setStatus.ui,
    assign: assign.ui,
    notes: notes.ui,
    addNote: addNote.ui,
    editNote: editNote.ui,
    deleteNote: deleteNote.ui,
    presence: defineRoute({
      method: 'POST', path: '/api/v1/ui/conversations/:id/presence', tag, auth: 'session', role: 'conversation:viewer',
      summary: 'Say one is viewing or typing in a conversation', params: conversationParams, body: presenceBodySchema, response: { 200: okSchema },
    }),
    notifications: defineRoute({
      method: 'GET', path: '/api/v1/ui/notifications', tag, auth: 'session', role: 'user',
      summary: 'One’s notifications (mentions, assignments)', response: { 200: notificationListSchema },
    }),
    readNotifications: defineRoute({
      method: 'POST', path: '/api/v1/ui/notifications/read', tag, auth: 'session', role: 'user',
      summary: 'Mark notifications read (all of them without ids)', body: notificationsReadBodySchema, response: { 200: okSchema },
    }),
    assignment: defineRoute({
      method: 'GET', path: '/api/v1/accounts/:id/assignment', tag, auth: 'session', role: 'account:viewer',
      summary: 'The account’s auto-assignment settings', params: accountParams, response: { 200: assignmentSettingsSchema },
    }),
    updateAssignment: defineRoute({
      method: 'PUT', path: '/api/v1/accounts/:id/assignment', tag, auth: 'session', role: 'account:admin',
      summary: 'Change the account’s auto-assignment', params: accountParams, body: assignmentSettingsBodySchema,
      response: { 200: assignmentSettingsSchema },
    }),
    receiveConversations: defineRoute({
      method: 'PUT', path: '/api/v1/accounts/:id/assignment/me', tag, auth: 'session', role: 'account:viewer',
      summary: 'Whether auto-assignment gives oneself conversations', params: accountParams, body: assignmentMeBodySchema,
      response: { 200: assignmentSettingsSchema },
    }),
  },
  api: {
    setStatus: setStatus.api,
    assign: assign.api,
    notes: notes.api,
    addNote: addNote.api,
    editNote: editNote.api,
    deleteNote: deleteNote.api,
  },
} as const;
