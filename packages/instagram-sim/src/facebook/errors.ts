import type { GraphErrorDefinition } from '@threadline/contract';
import { GraphError, invalidParameter } from '../platform/errors.ts';

/**
 * Graph errors of graph.facebook.com that Instagram Login has no counterpart for: the Login code exchange and Page
 * token rules. Codes and subcodes are Meta's; the wording is the simulator's. Token failures (190) are the shared
 * ones of the contract.
 */
const def = (code: number, subcode: number | undefined, message: string): GraphErrorDefinition => ({
  code,
  ...(subcode === undefined ? {} : { subcode }),
  type: 'OAuthException',
  message,
  httpStatus: 400,
  transient: false,
});

export const FACEBOOK_ERRORS = {
  invalidClientId: def(101, undefined, 'Error validating application. Invalid application ID.'),
  invalidClientSecret: def(1, undefined, 'Error validating client secret.'),
  codeExpired: def(100, 36007, 'This authorization code has expired.'),
  redirectMismatch: def(100, 36008, 'Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request'),
  codeUsed: def(100, 36009, 'This authorization code has been used.'),
  invalidCode: def(100, undefined, 'Invalid verification code format.'),
  pageTokenRequired: def(210, undefined, '(#210) A page access token is required to request this resource.'),
  noInstagramAccount: def(100, 33, 'Unsupported request. This Page is not linked to an Instagram professional account.'),
} as const;

export function facebookError(name: keyof typeof FACEBOOK_ERRORS, message?: string): GraphError {
  return new GraphError(FACEBOOK_ERRORS[name], message === undefined ? {} : { message });
}

/** `(#200) Requires <permission> permission`: the person did not grant (or declined) it. */
export function permissionMissing(permission: string): GraphError {
  return new GraphError(def(200, undefined, `(#200) Requires ${permission} permission to manage the object`));
}

export { invalidParameter };
