import type { FastifyReply } from 'fastify';
import { errorBody } from '../../http/server.ts';

/**
 * The refusals of Meta's webhook endpoint, by stable code. They are answered in place (`refuse`), not thrown: Meta
 * sees them at its own rate, so they skip the error handler's log line, and a 503 carries its Retry-After.
 */
export const intakeRefusals = {
  verificationFailed: { status: 403, code: 'webhooks.verification_failed', message: 'Verification failed.' },
  notConfigured: { status: 503, code: 'webhooks.not_configured', message: 'Webhook signature secret is not configured.' },
  invalidSignature: { status: 401, code: 'webhooks.invalid_signature', message: 'Missing or invalid X-Hub-Signature-256.' },
  unavailable: { status: 503, code: 'webhooks.unavailable', message: 'Temporarily unable to accept the event.', retryAfterSeconds: 5 },
} as const;

type Refusal = (typeof intakeRefusals)[keyof typeof intakeRefusals];

/** Answers `refusal` in the one error shape (with its Retry-After, when it asks Meta to come back). */
export function refuse(reply: FastifyReply, refusal: Refusal, requestId: string) {
  if ('retryAfterSeconds' in refusal) reply.header('retry-after', String(refusal.retryAfterSeconds));
  return reply.code(refusal.status).type('application/json').send(errorBody(refusal.code, refusal.message, requestId));
}
