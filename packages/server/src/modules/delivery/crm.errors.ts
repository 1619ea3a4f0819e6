import { badRequest, conflict, notFound } from '../../shared/errors.ts';

/** The errors of CRM settings and deliveries, by stable code (the URL refusals are OutboundErrors: shared/net). */
export const crmErrors = {
  badCursor: () => badRequest('crm.bad_cursor', 'The cursor is not one this API gave out.'),
  noSecret: () => notFound('crm.no_secret', 'This account has no webhook secret yet: set a CRM webhook URL first.'),
  notConfigured: () => conflict('crm.not_configured', 'This account has no CRM webhook URL; set one first.'),
  deliveryNotFound: () => notFound('crm.delivery_not_found', 'No such delivery on this account.'),
  attemptInProgress: () => conflict('crm.attempt_in_progress', 'An attempt of this delivery is under way; try again when it is done.'),
};
