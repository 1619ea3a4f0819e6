import { z } from 'zod';
import { accountRoleSchema } from './accounts.ts';
import { newPasswordSchema, usernameSchema } from './auth.ts';

/**
 * Who may become a Threadline user (SIGNUP_MODE): `open`, anyone who signs in through Meta; `invite`, through Meta
 * only from an invitation link; `closed`, through Meta only users that already exist. Invitation links with a
 * password work in every mode: an administrator made them.
 */
export const SIGNUP_MODES = ['open', 'invite', 'closed'] as const;
export const signupModeSchema = z.enum(SIGNUP_MODES);
export type SignupMode = z.infer<typeof signupModeSchema>;

/** Invitation links and password-reset links carry their token after `#`, so it never reaches a server log. */
export const INVITATION_PATH = '/invite';
export const PASSWORD_RESET_PATH = '/reset-password';
export const INVITATION_MAX_HOURS = 720;
export const PASSWORD_RESET_TTL_SECONDS = 86_400;
const linkToken = z.string().regex(/^[A-Za-z0-9_-]{20,128}$/, 'token: the code after # in the link');

export const INVITATION_STATUSES = ['pending', 'used', 'expired', 'revoked'] as const;
export const invitationSchema = z.object({
  id: z.string(),
  account_id: z.string().nullable(),
  role: accountRoleSchema.nullable(),
  status: z.enum(INVITATION_STATUSES),
  created_by: z.string().nullable(),
  created_at: z.string(),
  expires_at: z.string(),
  used_by: z.string().nullable(),
  used_at: z.string().nullable(),
});
export type Invitation = z.infer<typeof invitationSchema>;
export const invitationListSchema = z.object({ invitations: z.array(invitationSchema) });
/** The answer to creating one: the link is shown once (only its hash is kept). */
export const createdInvitationSchema = invitationSchema.extend({ url: z.string() });
export type CreatedInvitation = z.infer<typeof createdInvitationSchema>;
export const createInvitationRequestSchema = z.strictObject({
  role: accountRoleSchema.default('viewer'),
  expires_in_hours: z.number().int().min(1).max(INVITATION_MAX_HOURS).default(72),
});

/** `POST /api/v1/invitations/lookup`: what the person opening a link is told before signing up. */
export const invitationLookupRequestSchema = z.strictObject({ token: linkToken });
export const invitationPreviewSchema = z.object({
  account_username: z.string().nullable(),
  role: accountRoleSchema.nullable(),
  expires_at: z.string(),
  /** whether "Continue with Instagram / Facebook" may create the user from this link (not when SIGNUP_MODE=closed) */
  oauth_signup: z.boolean(),
});
export type InvitationPreview = z.infer<typeof invitationPreviewSchema>;
export const acceptInvitationRequestSchema = z.strictObject({ token: linkToken, username: usernameSchema, password: newPasswordSchema });

/** `POST /api/v1/admin/users/{id}/password-reset`: a one-time link for that user. */
export const passwordResetLinkSchema = z.object({ url: z.string(), expires_at: z.string() });
export const passwordResetLookupRequestSchema = z.strictObject({ token: linkToken });
export const passwordResetPreviewSchema = z.object({ username: z.string(), expires_at: z.string() });
export const passwordResetRequestSchema = z.strictObject({ token: linkToken, new_password: newPasswordSchema });
