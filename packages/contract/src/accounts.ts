import { z } from 'zod';
import { loginPathSchema } from './facebook-platform.ts';

/** Roles on an account: a viewer reads; an admin also sends and configures; an owner also manages members and unlinks. */
export const ACCOUNT_ROLES = ['owner', 'admin', 'viewer'] as const;
export const accountRoleSchema = z.enum(ACCOUNT_ROLES);
export type AccountRole = z.infer<typeof accountRoleSchema>;

/** `active`; `reauth_required` (the token stopped working: link the account again); `disconnected` (no token). */
export const ACCOUNT_STATUSES = ['active', 'reauth_required', 'disconnected'] as const;
export const accountStatusSchema = z.enum(ACCOUNT_STATUSES);
export type AccountStatusName = z.infer<typeof accountStatusSchema>;

/** One of the signed-in user's accounts. Never carries a token or a secret. */
export const accountSummarySchema = z.object({
  id: z.string(),
  /** The Instagram professional account id (`/me.user_id`), the id webhooks carry. */
  ig_user_id: z.string(),
  username: z.string(),
  name: z.string().nullable(),
  profile_picture_url: z.string().nullable(),
  followers_count: z.number().int().nullable(),
  role: accountRoleSchema,
  is_primary: z.boolean(),
  status: accountStatusSchema,
  status_reason: z.string().nullable(),
  token_expires_at: z.string().nullable(),
  last_synced_at: z.string().nullable(),
  crm_webhook_url_set: z.boolean(),
  /** Configured by the old single-account environment variables. */
  is_legacy: z.boolean(),
  /**
   * How Threadline reaches Meta for it: `instagram_login` (graph.instagram.com) or `facebook_login` (through a
   * Facebook Page, graph.facebook.com); null while the legacy account's token is being looked at.
   */
  login_path: loginPathSchema.nullable(),
  /** facebook_login: the Page it is reached through. */
  facebook_page: z.object({ id: z.string(), name: z.string() }).nullable(),
});
export type AccountSummary = z.infer<typeof accountSummarySchema>;

/** `GET /api/v1/accounts/me`: primary first, then in the order they were linked. */
export const accountListSchema = z.object({ accounts: z.array(accountSummarySchema) });
export type AccountList = z.infer<typeof accountListSchema>;

/** `DELETE /api/v1/accounts/{account_id}/unlink` */
export const unlinkResultSchema = z.object({
  unlinked: z.literal(true),
  /** True when the last member left: webhooks were unsubscribed and the token deleted. */
  account_disconnected: z.boolean(),
});

/** `POST /api/v1/ui/session/switch` */
export const switchSessionRequestSchema = z.strictObject({ account_id: z.uuid() });

export const accountMemberSchema = z.object({
  user_id: z.string(),
  username: z.string(),
  role: accountRoleSchema,
  linked_at: z.string(),
});
export type AccountMember = z.infer<typeof accountMemberSchema>;
export const accountMemberListSchema = z.object({ members: z.array(accountMemberSchema) });
export const addAccountMemberRequestSchema = z.strictObject({
  username: z.string().trim().min(1).max(256),
  role: accountRoleSchema,
});
export const updateAccountMemberRequestSchema = z.strictObject({ role: accountRoleSchema });
