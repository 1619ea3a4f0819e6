import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { revokedTokenError, TOKEN_REVOCATION_SUBCODES } from '../oauth/tokens.ts';
import { graphError } from '../platform/errors.ts';
import type { SimApp } from '../state/schema.ts';
import type { SimState } from '../state/store.ts';
import type { SimFacebookToken, SimGrant, SimPage } from './state.ts';

/**
 * Facebook user and Page tokens (§7). They look like Meta's (`EAA…`) and live apart from Instagram tokens, so each
 * host refuses the other's with 190, as Meta does. A Page token made from a long-lived user token never expires; one
 * made from a short-lived user token lapses with it.
 */

export const FACEBOOK_REVOCATION_SUBCODES = TOKEN_REVOCATION_SUBCODES;

export const newFacebookToken = (): string => `EAA${randomBytes(96).toString('base64url')}`;

export function issueFacebookToken(
  state: SimState,
  clock: Clock,
  input: { kind: SimFacebookToken['kind']; appId: string; userId: string; pageId?: string | null; lifetimeSeconds: number | null },
): SimFacebookToken {
  const now = clock.now();
  const token: SimFacebookToken = {
    token: newFacebookToken(),
    kind: input.kind,
    appId: input.appId,
    userId: input.userId,
    pageId: input.pageId ?? null,
    issuedAt: now,
    expiresAt: input.lifetimeSeconds === null ? null : now + input.lifetimeSeconds * 1000,
    revokedSubcode: null,
  };
  state.data.facebook.tokens.push(token);
  return token;
}

export const grantOf = (state: SimState, appId: string, userId: string): SimGrant | undefined =>
  state.data.facebook.grants.find((g) => g.appId === appId && g.userId === userId);

export const pageById = (state: SimState, id: string): SimPage | undefined => state.data.facebook.pages.find((p) => p.id === id);

/** The app a Login `client_id` names: Facebook Login uses the main Meta app id. */
export const appByMetaId = (state: SimState, metaAppId: string): SimApp | undefined =>
  state.data.apps.find((a) => a.metaAppId === metaAppId);

/**
 * Resolves a graph.facebook.com token or throws the 190 Meta answers: unknown (an Instagram token included),
 * revoked, expired, or a Page token whose person no longer manages the Page or no longer grants it to the app.
 */
export function authenticateFacebook(state: SimState, clock: Clock, value: string): SimFacebookToken {
  const token = state.data.facebook.tokens.find((t) => t.token === value);
  if (!token || !state.app(token.appId) || !state.data.facebook.users.some((u) => u.id === token.userId)) throw graphError('invalidToken');
  if (token.revokedSubcode !== null) throw revokedTokenError(token.revokedSubcode);
  if (token.expiresAt !== null && clock.now() >= token.expiresAt) throw graphError('tokenExpired');
  if (token.pageId !== null) {
    const page = pageById(state, token.pageId);
    const grant = grantOf(state, token.appId, token.userId);
    if (!page || !page.managers.includes(token.userId) || !grant?.pageIds.includes(page.id)) throw graphError('tokenInvalid');
  }
  return token;
}

/** The Page token `/me/accounts` hands out: the one already issued for this person, Page and lifetime, or a new one. */
export function pageTokenFor(state: SimState, clock: Clock, userToken: SimFacebookToken, page: SimPage): SimFacebookToken {
  const expiresAt = userToken.kind === 'user_long' ? null : userToken.expiresAt;
  const existing = state.data.facebook.tokens.find(
    (t) =>
      t.kind === 'page' && t.appId === userToken.appId && t.userId === userToken.userId && t.pageId === page.id &&
      t.revokedSubcode === null && t.expiresAt === expiresAt,
  );
  if (existing) return existing;
  const lifetime = expiresAt === null ? null : Math.max(0, Math.ceil((expiresAt - clock.now()) / 1000));
  return issueFacebookToken(state, clock, { kind: 'page', appId: userToken.appId, userId: userToken.userId, pageId: page.id, lifetimeSeconds: lifetime });
}

/** Invalidates tokens (of one app, or all): a person's user and Page tokens, or every token of a Page. */
export function revokeFacebookTokens(state: SimState, match: { userId?: string; pageId?: string; appId?: string }, subcode: number): number {
  let count = 0;
  for (const token of state.data.facebook.tokens) {
    if (match.userId !== undefined && token.userId !== match.userId) continue;
    if (match.pageId !== undefined && token.pageId !== match.pageId) continue;
    if (match.appId !== undefined && token.appId !== match.appId) continue;
    token.revokedSubcode = subcode;
    count += 1;
  }
  return count;
}
