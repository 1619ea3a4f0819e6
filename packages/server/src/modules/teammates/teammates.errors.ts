import { badRequest, conflict, notFound } from '../../shared/errors.ts';
import { authErrors } from '../auth/auth.errors.ts';

/** The errors of invitation and password-reset links; the web app matches on these codes, never on the text. */
export const teammatesErrors = {
  invitationInvalid: () =>
    badRequest('invitations.invalid', 'This invitation link is expired, was revoked, or was already used. Ask for a new one.'),
  invitationNotFound: () => notFound('invitations.not_found', 'No such invitation.'),
  invitationNotPending: () => conflict('invitations.not_pending', 'This invitation was already used, revoked, or has expired.'),
  passwordResetInvalid: () =>
    badRequest('password_resets.invalid', 'This password-reset link is expired or was already used. Ask an administrator for a new one.'),
  usernameTaken: authErrors.usernameTaken,
  userNotFound: authErrors.userNotFound,
};
