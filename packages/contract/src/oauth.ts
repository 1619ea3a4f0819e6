import { z } from 'zod';

/** Scopes asked for when INSTAGRAM_OAUTH_SCOPES is not set. */
export const DEFAULT_OAUTH_SCOPES = ['instagram_business_basic', 'instagram_business_manage_messages'] as const;
/** Webhook fields every linked account is subscribed to (`POST /me/subscribed_apps`). */
export const ACCOUNT_WEBHOOK_FIELDS = [
  'messages',
  'messaging_postbacks',
  'messaging_seen',
  'message_reactions',
  'messaging_referral',
] as const;
/** How long an OAuth `state` may wait for its callback. */
export const OAUTH_STATE_TTL_SECONDS = 600;
/** Where a flow lands when it names no (or no acceptable) `redirect`. */
export const OAUTH_DEFAULT_REDIRECT = '/chat';

/** `GET /oauth/instagram/authorize?redirect=/chat` (and `/oauth/facebook/authorize`) */
export const oauthAuthorizeQuerySchema = z.object({
  redirect: z.string().max(2000).optional(),
  /** the token of an invitation link: the person joins with its role (and may sign up when SIGNUP_MODE=invite) */
  invitation: z.string().regex(/^[A-Za-z0-9_-]{20,128}$/).optional(),
});
/** `GET /oauth/facebook/authorize?redirect=/chat&rerequest=1`: `rerequest` asks Facebook for permissions declined before. */
export const facebookAuthorizeQuerySchema = oauthAuthorizeQuerySchema.extend({ rerequest: z.enum(['0', '1']).optional() });

/** Why a flow ended in `{redirect}?oauth=error&reason=…`; the web app shows the matching message. */
export const OAUTH_ERROR_REASONS = [
  'access_denied',
  'invalid_state',
  'code_exchange_failed',
  'token_exchange_failed',
  'profile_failed',
  'not_professional_account',
  'subscribe_failed',
  'user_disabled',
  'internal',
  'facebook_access_denied',
  'facebook_code_exchange_failed',
  'facebook_token_exchange_failed',
  'facebook_pages_failed',
  'page_subscribe_failed',
  'signup_closed',
  'invitation_required',
  'invitation_invalid',
] as const;
export const oauthErrorReasonSchema = z.enum(OAUTH_ERROR_REASONS);
export type OAuthErrorReason = z.infer<typeof oauthErrorReasonSchema>;

export const OAUTH_ERROR_MESSAGES: Readonly<Record<OAuthErrorReason, string>> = {
  access_denied: 'You cancelled the Instagram consent, so no account was connected.',
  invalid_state:
    'This Instagram sign-in link is expired, was already used, or was started in another browser. Start again.',
  code_exchange_failed:
    'Instagram did not accept the sign-in code (it may have expired or been used already). Start again.',
  token_exchange_failed: 'Instagram did not issue a long-lived token for this account. Try again later.',
  profile_failed: 'Instagram did not return the account profile. Try again later.',
  not_professional_account:
    'This Instagram account is not a professional (Business or Creator) account; switch it in the Instagram app first.',
  subscribe_failed: 'Instagram refused to send this account’s messages to Threadline (webhook subscription failed).',
  user_disabled: 'Your Threadline user is disabled.',
  internal: 'Something went wrong on our side; it has been logged. Try again.',
  facebook_access_denied: 'You cancelled the Facebook Login, so no account was connected.',
  facebook_code_exchange_failed:
    'Facebook did not accept the sign-in code (it may have expired or been used already). Start again.',
  facebook_token_exchange_failed: 'Facebook did not issue a long-lived token. Try again later.',
  facebook_pages_failed: 'Facebook did not list your Pages and their Instagram accounts. Try again later.',
  page_subscribe_failed:
    'Facebook refused to send the Page’s Instagram messages to Threadline (webhook subscription failed). Check that you granted “Manage Page metadata”, then try again.',
  signup_closed: 'This Threadline does not take new users: only existing users can sign in. Ask an administrator.',
  invitation_required: 'New users join this Threadline from an invitation link. Ask an administrator for one.',
  invitation_invalid: 'This invitation link is expired, was revoked, or was already used. Ask for a new one.',
};

/** `POST /oauth/instagram/data-deletion` answers Meta with where the user can check the deletion. */
export const dataDeletionResponseSchema = z.object({ url: z.string(), confirmation_code: z.string() });
export type DataDeletionResponse = z.infer<typeof dataDeletionResponseSchema>;

export const dataDeletionStatusSchema = z.object({
  confirmation_code: z.string(),
  status: z.enum(['pending', 'completed', 'not_found']),
  messages_deleted: z.number().int(),
  requested_at: z.string(),
  completed_at: z.string().nullable(),
});
export type DataDeletionStatus = z.infer<typeof dataDeletionStatusSchema>;
