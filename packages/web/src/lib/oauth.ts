import { OAUTH_ERROR_MESSAGES, oauthErrorReasonSchema, routes, type AccountSummary } from '@threadline/contract';
import { urlOf } from '../api/call.ts';

/** The two ways to connect an Instagram account: Instagram Login, or through its Facebook Page. */
export type LoginProvider = 'instagram' | 'facebook';

/** Where "Continue with …", "Link another account" and "Reconnect" start (a full-page navigation). */
export function authorizeUrl(provider: LoginProvider, redirect: string, invitation?: string): string {
  return urlOf(routes.platform[provider].authorize, { query: { redirect, invitation } });
}
export const instagramAuthorizeUrl = (redirect: string) => authorizeUrl('instagram', redirect);

/** An account is reconnected the way it was linked. */
export function providerOf(account: Pick<AccountSummary, 'login_path'>): LoginProvider {
  return account.login_path === 'facebook_login' ? 'facebook' : 'instagram';
}
export const reconnectUrl = (account: Pick<AccountSummary, 'login_path'>, redirect: string) => authorizeUrl(providerOf(account), redirect);

/** How Threadline reaches the account, in words: "Instagram Login" or "Facebook Page “Name”". */
export function connectionText(account: Pick<AccountSummary, 'login_path' | 'facebook_page'>): string {
  if (account.login_path === 'facebook_login') return account.facebook_page ? `Facebook Page “${account.facebook_page.name}”` : 'a Facebook Page';
  if (account.login_path === 'instagram_login') return 'Instagram Login';
  return 'being checked';
}

/** `?oauth=error&reason=…` in words. */
export function oauthErrorText(reason: unknown): string {
  const parsed = oauthErrorReasonSchema.safeParse(reason);
  return parsed.success ? OAUTH_ERROR_MESSAGES[parsed.data] : 'Connecting Instagram did not work. Try again.';
}

/** `?oauth=success[&linked=2]` in words. */
export function oauthSuccessText(linked: unknown): string {
  const n = typeof linked === 'string' ? Number(linked) : 1;
  return Number.isInteger(n) && n > 1 ? `${n} Instagram accounts connected.` : 'Instagram account connected.';
}
