import { z } from 'zod';
import { crmRecordLinkSchema, setCrmRecordLinkRequestSchema } from '../contacts.ts';
import { conversationSchema } from '../inbox.ts';
import {
  cannedReplyListSchema,
  cannedReplySchema,
  createCannedReplyRequestSchema,
  createLabelRequestSchema,
  filledCannedReplySchema,
  labelListSchema,
  labelSchema,
  setConversationLabelsRequestSchema,
  updateCannedReplyRequestSchema,
  updateLabelRequestSchema,
} from '../team.ts';
import { defineRoute, uiAndApi } from './define.ts';
import { accountParams, cannedReplyParams, conversationParams, labelParams } from './params.ts';

const setOnConversation = uiAndApi('/conversations/:id/labels', 'conversations:write', {
  method: 'PUT', tag: 'Labels', role: 'conversation:admin',
  summary: 'Set the labels of a conversation', params: conversationParams, body: setConversationLabelsRequestSchema,
  response: { 200: conversationSchema },
});

/** Labels of an account, and the labels of a conversation (a session, or an API key with conversations:write). */
export const labelsRoutes = {
  list: defineRoute({
    method: 'GET', path: '/api/v1/accounts/:id/labels', tag: 'Labels', auth: 'session', role: 'account:viewer',
    summary: 'The account’s labels', params: accountParams, response: { 200: labelListSchema },
  }),
  create: defineRoute({
    method: 'POST', path: '/api/v1/accounts/:id/labels', tag: 'Labels', auth: 'session', role: 'account:admin',
    summary: 'Create a label', params: accountParams, body: createLabelRequestSchema, response: { 201: labelSchema },
  }),
  update: defineRoute({
    method: 'PATCH', path: '/api/v1/accounts/:id/labels/:labelId', tag: 'Labels', auth: 'session', role: 'account:admin',
    summary: 'Rename or recolour a label', params: labelParams, body: updateLabelRequestSchema, response: { 200: labelSchema },
  }),
  remove: defineRoute({
    method: 'DELETE', path: '/api/v1/accounts/:id/labels/:labelId', tag: 'Labels', auth: 'session', role: 'account:admin',
    summary: 'Delete a label (it leaves every conversation)', params: labelParams, response: { 200: labelSchema },
  }),
  /** A CRM reads the labels of its key's account, to know which ids to set. */
  listForKey: defineRoute({
    method: 'GET', path: '/api/v1/labels', tag: 'Labels', auth: 'api_key', scope: 'conversations:read', role: 'session-account:viewer',
    summary: 'The labels of the key’s account', response: { 200: labelListSchema },
  }),
  setOnConversation: setOnConversation.ui,
  setOnConversationForKey: setOnConversation.api,
} as const;

/** Canned replies of an account, and one filled in for a conversation (a session). */
export const cannedRepliesRoutes = {
  list: defineRoute({
    method: 'GET', path: '/api/v1/accounts/:id/canned-replies', tag: 'Canned replies', auth: 'session', role: 'account:viewer',
    summary: 'The account’s canned replies', params: accountParams, response: { 200: cannedReplyListSchema },
  }),
  create: defineRoute({
    method: 'POST', path: '/api/v1/accounts/:id/canned-replies', tag: 'Canned replies', auth: 'session', role: 'account:admin',
    summary: 'Create a canned reply', params: accountParams, body: createCannedReplyRequestSchema, response: { 201: cannedReplySchema },
  }),
  update: defineRoute({
    method: 'PATCH', path: '/api/v1/accounts/:id/canned-replies/:replyId', tag: 'Canned replies', auth: 'session', role: 'account:admin',
    summary: 'Change a canned reply', params: cannedReplyParams, body: updateCannedReplyRequestSchema, response: { 200: cannedReplySchema },
  }),
  remove: defineRoute({
    method: 'DELETE', path: '/api/v1/accounts/:id/canned-replies/:replyId', tag: 'Canned replies', auth: 'session', role: 'account:admin',
    summary: 'Delete a canned reply', params: cannedReplyParams, response: { 200: cannedReplySchema },
  }),
  fill: defineRoute({
    method: 'POST', path: '/api/v1/ui/conversations/:id/canned-replies/:replyId/fill', tag: 'Canned replies', auth: 'session',
    role: 'conversation:viewer', summary: 'A canned reply with its variables filled in for a conversation',
    params: z.object({ id: z.uuid(), replyId: z.uuid() }), response: { 200: filledCannedReplySchema },
  }),
} as const;

/** The account's link from a contact to its record in the CRM. */
export const contactsRoutes = {
  recordLink: defineRoute({
    method: 'GET', path: '/api/v1/accounts/:id/crm-record-link', tag: 'CRM', auth: 'session', role: 'account:viewer',
    summary: 'The URL template of a contact’s CRM record', params: accountParams, response: { 200: crmRecordLinkSchema },
  }),
  setRecordLink: defineRoute({
    method: 'PUT', path: '/api/v1/accounts/:id/crm-record-link', tag: 'CRM', auth: 'session', role: 'account:admin',
    summary: 'Set the URL template of a contact’s CRM record', params: accountParams, body: setCrmRecordLinkRequestSchema,
    response: { 200: crmRecordLinkSchema },
  }),
} as const;
