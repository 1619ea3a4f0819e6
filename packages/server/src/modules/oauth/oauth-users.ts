import { randomBytes } from 'node:crypto';
import { USERNAME_PATTERN } from '@threadline/contract';
import type { SignupMode } from '@threadline/contract';
import type { Db } from '../../db/client.ts';
import { FlowFailure } from './oauth-flow.ts';
import type { OAuthLinkRepository, UserRow } from './oauth-link.repository.ts';

/** Who signs in through Meta: the provider, its stable id for the person, and a name to derive a username from. */
export type OAuthIdentity = {
  provider: 'instagram' | 'facebook';
  /** Instagram: the Instagram account id. Facebook: the person's app-scoped Facebook id. */
  providerId: string;
  /** The Instagram username of the (first) account linked. */
  usernameHint: string;
};

/** A Threadline username from an Instagram one: same characters where allowed, at least 3, at most 64. */
export function usernameFromInstagram(igUsername: string): string {
  const cleaned = igUsername.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 56);
  return cleaned.length >= 3 ? cleaned : `ig_${cleaned}`.padEnd(3, '_');
}

async function uniqueUsername(links: OAuthLinkRepository, hint: string, suffix: string, tx: Db): Promise<string> {
  const base = usernameFromInstagram(hint);
  const candidates = [base, `${base}_${suffix}`, ...[2, 3, 4, 5].map((n) => `${base}_${suffix}${n}`)];
  for (const candidate of candidates) {
    if (!(await links.usernameTaken(candidate, tx))) return candidate;
  }
  return `${base}_${randomBytes(3).toString('hex')}`;
}

/** Whether a sign-in through Meta may create its user: SIGNUP_MODE, and the invitation the flow started from. */
export type SignupPolicy = { mode: SignupMode; invitationId: string | null };

/**
 * The one way a sign-in through Meta ("Continue with Instagram" or "Continue with Facebook") finds its user, or
 * creates it on the first visit: named after the Instagram username (made unique), no password. SIGNUP_MODE governs
 * the creation for both: `open` always, `invite` only from an invitation (the caller uses it up in the same
 * transaction), `closed` never.
 */
/**
 * Whether a sign-in through Meta may go on to the steps that touch Meta (subscribing the account to webhooks): the
 * same rule as below, checked before, so a person refused by SIGNUP_MODE leaves nothing subscribed behind.
 */
export async function assertMaySignIn(links: Pick<OAuthLinkRepository, 'findUserByProvider'>, identity: Pick<OAuthIdentity, 'provider' | 'providerId'>, policy: SignupPolicy): Promise<void> {
  if (policy.mode === 'open' || (policy.mode === 'invite' && policy.invitationId !== null)) return;
  if (await links.findUserByProvider(identity.provider, identity.providerId)) return;
  throw new FlowFailure(policy.mode === 'closed' ? 'signup_closed' : 'invitation_required');
}

export async function findOrCreateOAuthUser(
  links: OAuthLinkRepository,
  identity: OAuthIdentity,
  policy: SignupPolicy,
  tx: Db,
): Promise<{ user: UserRow; created: boolean }> {
  const existing = await links.findUserByProvider(identity.provider, identity.providerId, tx);
  if (existing) return { user: existing, created: false };
  if (policy.mode === 'closed') throw new FlowFailure('signup_closed');
  if (policy.mode === 'invite' && policy.invitationId === null) throw new FlowFailure('invitation_required');
  const username = await uniqueUsername(links, identity.usernameHint, identity.provider === 'instagram' ? 'ig' : 'fb', tx);
  if (!USERNAME_PATTERN.test(username)) throw new Error('derived username does not match the pattern');
  return { user: await links.insertOAuthUser(username, identity.provider, identity.providerId, tx), created: true };
}
