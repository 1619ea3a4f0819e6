import { badRequest, conflict, forbidden, notFound, tooManyRequests, unauthorized } from '../../shared/errors.ts';

/** The words of the four session refusals the original contract fixes. */
export const SESSION_MESSAGES = {
  missing: 'Missing session token',
  wrongType: 'Invalid token type',
  expired: 'Session expired',
  invalid: 'Invalid session token',
} as const;

/** The errors of sign-in, sessions, users and request throttling, by stable code; the web app matches on the codes. */
export const authErrors = {
  invalidCredentials: () => unauthorized('auth.invalid_credentials', 'Invalid username or password'),
  missingToken: () => unauthorized('auth.missing_token', SESSION_MESSAGES.missing),
  invalidToken: () => unauthorized('auth.invalid_token', SESSION_MESSAGES.invalid),
  invalidTokenType: () => unauthorized('auth.invalid_token_type', SESSION_MESSAGES.wrongType),
  sessionExpired: () => unauthorized('auth.session_expired', SESSION_MESSAGES.expired),
  missingApiKey: () => unauthorized('auth.missing_api_key', 'Missing API key (send it as X-API-Key)'),
  crossSiteFrom: (origin: string) => forbidden('auth.csrf', `Cross-site request refused (origin ${origin}).`),
  crossSiteWithoutProof: () => forbidden('auth.csrf', 'Cross-site request refused: the request carries no same-origin proof.'),
  adminOnly: () => forbidden('auth.admin_only', 'Only instance administrators may do this.'),
  wrongPassword: () => forbidden('auth.wrong_password', 'The current password is not correct.'),
  setupAlreadyDone: () => conflict('setup.already_done', 'Threadline is already set up; sign in instead.'),
  usernameTaken: (username: string) => conflict('users.username_taken', `The username "${username}" is already taken.`),
  userNotFound: () => notFound('users.not_found', 'No such user.'),
  cannotDemoteSelf: () => badRequest('users.cannot_demote_self', 'You cannot disable yourself or remove your own administrator role.'),
  // the throttles (login-throttle.ts) count sign-ins, searches and uploads
  tooManySignIns: (retryAfterSeconds: number) =>
    tooManyRequests('auth.too_many_attempts', 'Too many failed sign-in attempts. Wait a few minutes and try again.', retryAfterSeconds),
  tooManyFromAddress: (retryAfterSeconds: number) =>
    tooManyRequests('auth.too_many_attempts', 'Too many attempts from this address. Wait a few minutes and try again.', retryAfterSeconds),
  tooManySearches: (retryAfterSeconds: number) =>
    tooManyRequests('inbox.search_rate_limited', 'Too many searches in a minute. Wait a moment and search again.', retryAfterSeconds),
  tooManyUploads: (retryAfterSeconds: number) =>
    tooManyRequests('uploads.rate_limited', 'Too many files uploaded in a minute for this account. Wait a moment.', retryAfterSeconds),
};
