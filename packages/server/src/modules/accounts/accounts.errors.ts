import { AppError, conflict, forbidden, notFound } from '../../shared/errors.ts';

/** The errors of accounts, their members and the legacy single account, by stable code. */
export const accountErrors = {
  notFound: () => notFound('accounts.not_found', 'No such account.'),
  forbiddenRole: (minRole: string, role: string) => forbidden('accounts.forbidden_role', `This needs the ${minRole} role on the account; you are ${role}.`),
  managesOnlyLowerRoles: () => forbidden('accounts.forbidden_role', 'Owners manage every member; admins manage viewers only.'),
  memberNotFound: () => notFound('accounts.member_not_found', 'That user is not a member of this account.'),
  lastOwnerLeaving: () => conflict('accounts.last_owner', 'The last owner cannot leave while other members remain: make someone else owner first.'),
  lastOwnerDemoted: () => conflict('accounts.last_owner', 'An account needs an owner: make someone else owner first.'),
  noSuchUsername: (username: string) => notFound('users.not_found', `No user is called "${username}".`),
  alreadyMember: (username: string) => conflict('accounts.already_member', `${username} is already a member of this account.`),
  legacyNotConfigured: () =>
    new AppError(400, 'legacy.not_configured', 'INSTAGRAM_BUSINESS_ACCOUNT_ID and INSTAGRAM_PAGE_ACCESS_TOKEN are not set: there is nothing to import.'),
  legacyNoAdministrator: () => new AppError(409, 'legacy.no_administrator', 'Create an administrator first (threadline user create --admin, or the setup page).'),
};
