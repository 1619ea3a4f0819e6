import {
  adminCreateUserRequestSchema,
  adminUpdateUserRequestSchema,
  adminUserListSchema,
  adminUserSchema,
  changePasswordRequestSchema,
  currentUserSchema,
  loginRequestSchema,
  sessionResponseSchema,
  setupRequestSchema,
  setupStatusSchema,
  uiPreferencesSchema,
  updateUiPreferencesRequestSchema,
} from '../auth.ts';
import { okSchema } from '../common.ts';
import { defineRoute } from './define.ts';
import { userParams } from './params.ts';

const tag = 'Sessions and users';

/** Signing in and out, the first run, one's own password and preferences, and the instance's users. */
export const authRoutes = {
  login: defineRoute({
    method: 'POST', path: '/api/v1/ui/session', tag, auth: 'public', role: 'public:password, throttled',
    summary: 'Sign in: answers a session token and sets the session cookie',
    body: loginRequestSchema, response: { 200: sessionResponseSchema },
  }),
  logout: defineRoute({
    method: 'DELETE', path: '/api/v1/ui/session', tag, auth: 'session', role: 'user',
    summary: 'Sign out: ends this session', response: { 200: okSchema },
  }),
  me: defineRoute({
    method: 'GET', path: '/api/v1/ui/me', tag, auth: 'session', role: 'user',
    summary: 'The signed-in person', response: { 200: currentUserSchema },
  }),
  changePassword: defineRoute({
    method: 'POST', path: '/api/v1/ui/password', tag, auth: 'session', role: 'user',
    summary: 'Change one’s own password', body: changePasswordRequestSchema, response: { 200: okSchema },
  }),
  setupStatus: defineRoute({
    method: 'GET', path: '/api/v1/setup', tag, auth: 'public', role: 'public',
    summary: 'Whether the instance still needs its first administrator, and how people sign up', response: { 200: setupStatusSchema },
  }),
  setup: defineRoute({
    method: 'POST', path: '/api/v1/setup', tag, auth: 'public', role: 'public:first run only, throttled',
    summary: 'Create the first administrator (first run only)', body: setupRequestSchema, response: { 201: sessionResponseSchema },
  }),
  preferences: defineRoute({
    method: 'GET', path: '/api/v1/ui/preferences', tag, auth: 'session', role: 'user',
    summary: 'One’s own inbox preferences', response: { 200: uiPreferencesSchema },
  }),
  updatePreferences: defineRoute({
    method: 'PUT', path: '/api/v1/ui/preferences', tag, auth: 'session', role: 'user',
    summary: 'Change one’s own inbox preferences', body: updateUiPreferencesRequestSchema, response: { 200: uiPreferencesSchema },
  }),
  users: defineRoute({
    method: 'GET', path: '/api/v1/admin/users', tag, auth: 'session', role: 'admin',
    summary: 'Every user of the instance', response: { 200: adminUserListSchema },
  }),
  createUser: defineRoute({
    method: 'POST', path: '/api/v1/admin/users', tag, auth: 'session', role: 'admin',
    summary: 'Create a user', body: adminCreateUserRequestSchema, response: { 201: adminUserSchema },
  }),
  updateUser: defineRoute({
    method: 'PATCH', path: '/api/v1/admin/users/:userId', tag, auth: 'session', role: 'admin',
    summary: 'Disable, enable, promote or demote a user', params: userParams, body: adminUpdateUserRequestSchema, response: { 200: adminUserSchema },
  }),
} as const;
