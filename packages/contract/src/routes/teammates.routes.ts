import { sessionResponseSchema } from '../auth.ts';
import { okSchema } from '../common.ts';
import {
  acceptInvitationRequestSchema,
  createdInvitationSchema,
  createInvitationRequestSchema,
  invitationListSchema,
  invitationLookupRequestSchema,
  invitationPreviewSchema,
  invitationSchema,
  passwordResetLinkSchema,
  passwordResetLookupRequestSchema,
  passwordResetPreviewSchema,
  passwordResetRequestSchema,
} from '../teammates.ts';
import { defineRoute } from './define.ts';
import { accountInvitationParams, accountParams, invitationParams, userParams } from './params.ts';

const tag = 'Teammates';

/** Invitation links (an account's, or the instance's), signing up from one, and one-time password-reset links. */
export const teammatesRoutes = {
  invitations: defineRoute({
    method: 'GET', path: '/api/v1/accounts/:id/invitations', tag, auth: 'session', role: 'account:admin',
    summary: 'The account’s invitation links', params: accountParams, response: { 200: invitationListSchema },
  }),
  invite: defineRoute({
    method: 'POST', path: '/api/v1/accounts/:id/invitations', tag, auth: 'session', role: 'account:admin',
    summary: 'Make an invitation link to the account', params: accountParams, body: createInvitationRequestSchema,
    response: { 201: createdInvitationSchema },
  }),
  revoke: defineRoute({
    method: 'DELETE', path: '/api/v1/accounts/:id/invitations/:invitationId', tag, auth: 'session', role: 'account:admin',
    summary: 'Revoke an invitation link', params: accountInvitationParams, response: { 200: invitationSchema },
  }),
  instanceInvitations: defineRoute({
    method: 'GET', path: '/api/v1/admin/invitations', tag, auth: 'session', role: 'admin',
    summary: 'The instance’s sign-up links', response: { 200: invitationListSchema },
  }),
  instanceInvite: defineRoute({
    method: 'POST', path: '/api/v1/admin/invitations', tag, auth: 'session', role: 'admin',
    summary: 'Make a sign-up link to the instance', body: createInvitationRequestSchema.pick({ expires_in_hours: true }),
    response: { 201: createdInvitationSchema },
  }),
  instanceRevoke: defineRoute({
    method: 'DELETE', path: '/api/v1/admin/invitations/:invitationId', tag, auth: 'session', role: 'admin',
    summary: 'Revoke a sign-up link', params: invitationParams, response: { 200: invitationSchema },
  }),
  lookupInvitation: defineRoute({
    method: 'POST', path: '/api/v1/invitations/lookup', tag, auth: 'public', role: 'public:single-use link token',
    summary: 'What an invitation link leads to', body: invitationLookupRequestSchema, response: { 200: invitationPreviewSchema },
  }),
  acceptInvitation: defineRoute({
    method: 'POST', path: '/api/v1/invitations/accept', tag, auth: 'public', role: 'public:single-use link token',
    summary: 'Sign up from an invitation link', body: acceptInvitationRequestSchema, response: { 201: sessionResponseSchema },
  }),
  issuePasswordReset: defineRoute({
    method: 'POST', path: '/api/v1/admin/users/:userId/password-reset', tag, auth: 'session', role: 'admin',
    summary: 'Make a one-time password-reset link for a user', params: userParams, response: { 201: passwordResetLinkSchema },
  }),
  lookupPasswordReset: defineRoute({
    method: 'POST', path: '/api/v1/password-resets/lookup', tag, auth: 'public', role: 'public:single-use link token',
    summary: 'Whose password a reset link resets', body: passwordResetLookupRequestSchema, response: { 200: passwordResetPreviewSchema },
  }),
  resetPassword: defineRoute({
    method: 'POST', path: '/api/v1/password-resets/reset', tag, auth: 'public', role: 'public:single-use link token',
    summary: 'Set a new password with a reset link', body: passwordResetRequestSchema, response: { 200: okSchema },
  }),
} as const;
