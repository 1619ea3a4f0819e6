import {
  INSTAGRAM_LONG_LIVED_TOKEN_SECONDS,
  INSTAGRAM_SHORT_LIVED_TOKEN_SECONDS,
  INSTAGRAM_TOKEN_ERROR_SUBCODES,
} from '@threadline/contract';
import type { InstagramGraphErrorName } from '@threadline/contract';
import type { Clock } from '../clock.ts';
import { newAccessToken } from '../ids.ts';
import { graphError } from '../platform/errors.ts';
import type { SimToken } from '../state/schema.ts';
import type { SimState } from '../state/store.ts';

const SUBCODE_ERRORS: Record<number, InstagramGraphErrorName> = {
  [INSTAGRAM_TOKEN_ERROR_SUBCODES.appNotInstalled]: 'tokenAppNotInstalled',
  [INSTAGRAM_TOKEN_ERROR_SUBCODES.checkpointed]: 'tokenCheckpointed',
  [INSTAGRAM_TOKEN_ERROR_SUBCODES.passwordChanged]: 'tokenPasswordChanged',
  [INSTAGRAM_TOKEN_ERROR_SUBCODES.expired]: 'tokenExpired',
  [INSTAGRAM_TOKEN_ERROR_SUBCODES.unconfirmedUser]: 'tokenUnconfirmedUser',
  [INSTAGRAM_TOKEN_ERROR_SUBCODES.invalidToken]: 'tokenInvalid',
  [INSTAGRAM_TOKEN_ERROR_SUBCODES.invalidSession]: 'tokenInvalidSession',
};
export const TOKEN_REVOCATION_SUBCODES = Object.keys(SUBCODE_ERRORS).map(Number);

/** The 190 error of a token revoked with `subcode` (password changed, app removed, …). */
export const revokedTokenError = (subcode: number) => graphError(SUBCODE_ERRORS[subcode] ?? 'tokenInvalid');

export function issueToken(
  state: SimState,
  clock: Clock,
  input: { appId: string; accountId: string; scopes: string[]; kind: 'short' | 'long' },
): SimToken {
  const now = clock.now();
  const lifetime = input.kind === 'short' ? INSTAGRAM_SHORT_LIVED_TOKEN_SECONDS : INSTAGRAM_LONG_LIVED_TOKEN_SECONDS;
  const token: SimToken = {
    token: newAccessToken(),
    kind: input.kind,
    appId: input.appId,
    accountId: input.accountId,
    scopes: input.scopes,
    issuedAt: now,
    expiresAt: now + lifetime * 1000,
    revokedSubcode: null,
  };
  state.data.tokens.push(token);
  return token;
}

export function expiresInSeconds(token: SimToken, clock: Clock): number {
  return Math.max(0, Math.ceil((token.expiresAt - clock.now()) / 1000));
}

/** Resolves a token or throws the 190 error Meta gives for it (§1.4, §6). */
export function authenticate(state: SimState, clock: Clock, value: string): SimToken {
  const token = state.token(value);
  if (!token || !state.account(token.accountId) || !state.app(token.appId)) throw graphError('invalidToken');
  if (token.revokedSubcode !== null) throw revokedTokenError(token.revokedSubcode);
  if (clock.now() >= token.expiresAt) throw graphError('tokenExpired');
  return token;
}

/** Invalidates every token of an account (password change, app removed, …); returns how many. */
export function revokeTokens(state: SimState, accountId: string, subcode: number, appId?: string): number {
  let count = 0;
  for (const token of state.data.tokens) {
    if (token.accountId !== accountId || (appId !== undefined && token.appId !== appId)) continue;
    token.revokedSubcode = subcode;
    count += 1;
  }
  return count;
}

/** The token of a Graph request: `Authorization: Bearer …` or the `access_token` parameter (§4). */
export function tokenFromRequest(headers: Record<string, unknown>, params: Record<string, unknown>): string | null {
  const header = headers['authorization'];
  if (typeof header === 'string') {
    const match = /^(?:Bearer|OAuth)\s+(.+)$/i.exec(header.trim());
    if (match?.[1]) return match[1];
  }
  const param = params['access_token'];
  return typeof param === 'string' && param.length > 0 ? param : null;
}
