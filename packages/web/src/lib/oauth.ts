import { OAUTH_ERROR_MESSAGES, oauthErrorReasonSchema } from '@threadline/contract';

/** Where "Continue with Instagram", "Link another account" and "Reconnect" start (a full-page navigation). */
export function instagramAuthorizeUrl(redirect: string): string {
  return `/oauth/instagram/authorize?redirect=${encodeURIComponent(redirect)}`;
}

/** `?oauth=error&reason=…` in words. */
export function oauthErrorText(reason: unknown): string {
  const parsed = oauthErrorReasonSchema.safeParse(reason);
  return parsed.success ? OAUTH_ERROR_MESSAGES[parsed.data] : 'Connecting Instagram did not work. Try again.';
}
