import { badRequest, notFound } from '../../shared/errors.ts';

/** The errors of reading the inbox, by stable code. */
export const inboxErrors = {
  conversationNotFound: () => notFound('conversations.not_found', 'No such conversation on this account.'),
  noAccountSelected: () => notFound('accounts.none_selected', 'No Instagram account is selected for this session: link or switch to one first.'),
  scopeAllNeedsSession: () => badRequest('request.invalid_scope', 'scope=all is for signed-in people; an API key reads its own account.'),
  invalidCursor: () => badRequest('request.invalid_cursor', 'The cursor is not valid.'),
};
