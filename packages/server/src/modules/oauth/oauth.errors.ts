import { badRequest, conflict, forbidden, notFound, serviceUnavailable } from '../../shared/errors.ts';

/** The errors of Instagram and Facebook login and of Meta's callbacks, by stable code. */
export const oauthErrors = {
  instagramNotConfigured: () =>
    serviceUnavailable(
      'oauth.not_configured',
      'Instagram login is not configured on this server (set INSTAGRAM_OAUTH_CLIENT_ID and INSTAGRAM_OAUTH_CLIENT_SECRET).',
    ),
  facebookNotConfigured: () =>
    serviceUnavailable('oauth.facebook_not_configured', 'Facebook login is not configured on this server (set FACEBOOK_APP_ID and FACEBOOK_APP_SECRET).'),
  crossOrigin: () => forbidden('oauth.cross_origin', 'The choice of Pages must be made on Threadline’s own page.'),
  deletionNotFound: () => notFound('oauth.deletion_not_found', 'No data deletion request has this confirmation code.'),
  /** `code` is the parser's (`signed_request.*`), so each refusal keeps its own. */
  signedRequestInvalid: (code: string, reason: string) => badRequest(code, `Invalid signed_request: ${reason}.`),
  signedRequestReplayed: () => conflict('signed_request.replayed', 'Invalid signed_request: this signed request was already handled.'),
};
