import { z } from 'zod';

/** Limits shared by the server and the web app. */
export const USERNAME_PATTERN = /^[A-Za-z0-9._-]{3,64}$/;
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_BYTES = 256;
export const SESSION_TTL_SECONDS = 86_400;

export const usernameSchema = z
  .string()
  .trim()
  .regex(USERNAME_PATTERN, 'username: 3 to 64 letters, digits, dots, dashes or underscores');
export const newPasswordSchema = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `password: at least ${PASSWORD_MIN_LENGTH} characters`)
  .refine((p) => Buffer.byteLength(p, 'utf8') <= PASSWORD_MAX_BYTES, `password: at most ${PASSWORD_MAX_BYTES} bytes`);

/** `POST /api/v1/ui/session` (the original system's contract). */
export const loginRequestSchema = z.strictObject({
  username: z.string().min(1).max(256),
  password: z.string().min(1).max(1024),
});
export type LoginRequest = z.infer<typeof loginRequestSchema>;

export const sessionResponseSchema = z.object({
  token: z.string(),
  account_id: z.string().nullable(),
  user_id: z.string(),
  username: z.string(),
  expires_in: z.number().int(),
});
export type SessionResponse = z.infer<typeof sessionResponseSchema>;

/** The JWT payload of a UI session, exactly as the original system issued it. */
export const sessionTokenPayloadSchema = z.object({
  account_id: z.string().nullable(),
  user_id: z.string(),
  username: z.string(),
  exp: z.number(),
  type: z.literal('ui_session'),
});
export type SessionTokenPayload = z.infer<typeof sessionTokenPayloadSchema>;

export const currentUserSchema = z.object({
  user_id: z.string(),
  username: z.string(),
  account_id: z.string().nullable(),
  is_admin: z.boolean(),
  has_password: z.boolean(),
  oauth_provider: z.string().nullable(),
});
export type CurrentUser = z.infer<typeof currentUserSchema>;

export const changePasswordRequestSchema = z.strictObject({
  current_password: z.string().min(1).max(1024),
  new_password: newPasswordSchema,
});

/** `GET /api/v1/setup`: also who may sign up (the login page says which applies; see teammates.ts SIGNUP_MODES). */
export const setupStatusSchema = z.object({ needs_setup: z.boolean(), signup_mode: z.enum(['open', 'invite', 'closed']) });
export const setupRequestSchema = z.strictObject({ username: usernameSchema, password: newPasswordSchema });

export const adminUserSchema = z.object({
  id: z.string(),
  username: z.string(),
  is_admin: z.boolean(),
  disabled: z.boolean(),
  oauth_provider: z.string().nullable(),
  has_password: z.boolean(),
  created_at: z.string(),
});
export type AdminUser = z.infer<typeof adminUserSchema>;
export const adminUserListSchema = z.object({ users: z.array(adminUserSchema) });
export const adminCreateUserRequestSchema = z.strictObject({
  username: usernameSchema,
  password: newPasswordSchema,
  is_admin: z.boolean().default(false),
});
export const adminUpdateUserRequestSchema = z.strictObject({
  disabled: z.boolean().optional(),
  is_admin: z.boolean().optional(),
});

/** `GET/PUT /api/v1/ui/preferences`: the signed-in person's own settings of the web app. */
export const uiPreferencesSchema = z.object({
  /** browser notifications for new messages in conversations assigned to them or unassigned, and for @mentions */
  browser_notifications: z.boolean(),
  /** a short sound with each notification */
  notification_sound: z.boolean(),
});
export type UiPreferences = z.infer<typeof uiPreferencesSchema>;
export const updateUiPreferencesRequestSchema = uiPreferencesSchema.partial().strict();
