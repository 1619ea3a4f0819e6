import { notFound } from '../../shared/errors.ts';

/** The errors of the webhook administration API, by stable code. */
export const webhookErrors = {
  eventNotFound: () => notFound('webhooks.event_not_found', 'No such webhook event.'),
};
