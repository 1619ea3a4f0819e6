import {
  accountListSchema,
  accountMemberListSchema,
  accountMemberSchema,
  addAccountMemberRequestSchema,
  switchSessionRequestSchema,
  unlinkResultSchema,
  updateAccountMemberRequestSchema,
} from '../accounts.ts';
import { apiKeyListSchema, apiKeySchema, createApiKeyRequestSchema, createdApiKeySchema } from '../api-keys.ts';
import { sessionResponseSchema } from '../auth.ts';
import { okSchema } from '../common.ts';
import { defineRoute } from './define.ts';
import { accountParams, apiKeyParams, memberParams } from './params.ts';

const tag = 'Accounts';

/** A person's Instagram accounts, switching between them, their members and their API keys. */
export const accountsRoutes = {
  mine: defineRoute({
    method: 'GET', path: '/api/v1/accounts/me', tag, auth: 'session', role: 'user',
    summary: 'The accounts the signed-in person belongs to', response: { 200: accountListSchema },
  }),
  setPrimary: defineRoute({
    method: 'POST', path: '/api/v1/accounts/:id/set-primary', tag, auth: 'session', role: 'account:viewer',
    summary: 'Make an account the one a session opens on', params: accountParams, response: { 200: okSchema },
  }),
  unlink: defineRoute({
    method: 'DELETE', path: '/api/v1/accounts/:id/unlink', tag, auth: 'session', role: 'account:owner',
    summary: 'Leave an account; the last owner leaving disconnects it', params: accountParams, response: { 200: unlinkResultSchema },
  }),
  switchSession: defineRoute({
    method: 'POST', path: '/api/v1/ui/session/switch', tag, auth: 'session', role: 'user',
    summary: 'Move the session to another of one’s accounts (a new session replaces this one)',
    body: switchSessionRequestSchema, response: { 200: sessionResponseSchema },
  }),
  members: defineRoute({
    method: 'GET', path: '/api/v1/accounts/:id/members', tag, auth: 'session', role: 'account:viewer',
    summary: 'The members of an account and their roles', params: accountParams, response: { 200: accountMemberListSchema },
  }),
  addMember: defineRoute({
    method: 'POST', path: '/api/v1/accounts/:id/members', tag, auth: 'session', role: 'account:admin',
    summary: 'Add an existing user to an account', params: accountParams, body: addAccountMemberRequestSchema, response: { 201: accountMemberSchema },
  }),
  updateMember: defineRoute({
    method: 'PATCH', path: '/api/v1/accounts/:id/members/:userId', tag, auth: 'session', role: 'account:admin',
    summary: 'Change a member’s role', params: memberParams, body: updateAccountMemberRequestSchema, response: { 200: accountMemberSchema },
  }),
  removeMember: defineRoute({
    method: 'DELETE', path: '/api/v1/accounts/:id/members/:userId', tag, auth: 'session', role: 'account:viewer',
    summary: 'Remove a member (any member may remove themselves; removing another needs admin)',
    params: memberParams, response: { 200: unlinkResultSchema },
  }),
} as const;

/** API keys of an account: what a CRM authenticates with (`X-API-Key`). */
export const apiKeysRoutes = {
  list: defineRoute({
    method: 'GET', path: '/api/v1/accounts/:id/api-keys', tag: 'API keys', auth: 'session', role: 'account:admin',
    summary: 'The account’s API keys (never the keys themselves)', params: accountParams, response: { 200: apiKeyListSchema },
  }),
  create: defineRoute({
    method: 'POST', path: '/api/v1/accounts/:id/api-keys', tag: 'API keys', auth: 'session', role: 'account:admin',
    summary: 'Create an API key: the only answer that carries the key', params: accountParams, body: createApiKeyRequestSchema,
    response: { 201: createdApiKeySchema },
  }),
  revoke: defineRoute({
    method: 'DELETE', path: '/api/v1/accounts/:id/api-keys/:keyId', tag: 'API keys', auth: 'session', role: 'account:admin',
    summary: 'Revoke an API key', params: apiKeyParams, response: { 200: apiKeySchema },
  }),
} as const;
