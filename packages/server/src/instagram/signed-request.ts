import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { indexOfMatchingSecret } from './webhook-signature.ts';
import { parseJsonPreservingBigInts } from './webhook-payload-json.ts';
import { describeIssue, epochNumberSchema, idSchema } from './webhook-payload-schemas.ts';

// Meta's deauthorize and data-deletion callbacks POST `signed_request=<b64url(signature)>.<b64url(JSON payload)>`
// (platform reference §8). The signature is HMAC-SHA256 over the *encoded* payload string, keyed by the app secret;
// which secret (Instagram app or Meta app) is unconfirmed, so every configured secret is tried.

export interface SignedRequest {
  /** App-scoped user id; may be either `/me.id` or `/me.user_id` of the account, so match against both. */
  userId: string;
  issuedAt?: Date;
  expires?: Date;
  /** Present on some Page removals. */
  profileId?: string;
  /** Which of the configured secrets signed it. */
  secretIndex: number;
}

export type SignedRequestErrorCode =
  | 'signed_request.malformed'
  | 'signed_request.bad_signature'
  | 'signed_request.invalid_payload'
  | 'signed_request.unsupported_algorithm'
  | 'signed_request.expired'
  | 'signed_request.stale'
  | 'signed_request.replayed';

export type SignedRequestResult =
  | { ok: true; request: SignedRequest }
  | { ok: false; code: SignedRequestErrorCode; message: string };

// Real signed requests are a few hundred characters; refuse anything large before hashing it.
const MAX_LENGTH = 16 * 1024;
const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;
const SIGNATURE_BYTES = 32;
const ALGORITHM = 'HMAC-SHA256';

/** How old an `issued_at` may be: Meta calls at once; a day leaves room for its retries, not for a captured request. */
export const SIGNED_REQUEST_MAX_AGE_SECONDS = 86_400;

// Epoch seconds, as numbers or numeric strings, small enough to be a valid Date.
const epochSecondsSchema = epochNumberSchema.pipe(z.number().max(8_640_000_000_000, 'not a valid epoch second'));

const payloadSchema = z.looseObject({
  algorithm: z.string(),
  user_id: idSchema,
  issued_at: epochSecondsSchema.optional(),
  expires: epochSecondsSchema.optional(),
  profile_id: idSchema.optional(),
});

/**
 * Verifies and decodes a `signed_request`. The signature is checked (in constant time, against every secret)
 * before the payload is trusted. `expires` is optional; when present and not in the future the request is refused
 * (`expires: 0`, Facebook's "never", counts as absent); an `issued_at` more than a day old is refused too. Whether
 * the same request was seen before is the caller's to check (meta-callbacks.service.ts). `now` is for tests.
 */
export function parseSignedRequest(
  signedRequest: string,
  secrets: readonly string[],
  now: Date = new Date(),
): SignedRequestResult {
  const parts = signedRequest.trim().split('.');
  const [encodedSignature, encodedPayload] = parts;
  if (
    signedRequest.length > MAX_LENGTH ||
    parts.length !== 2 ||
    encodedSignature === undefined ||
    encodedPayload === undefined ||
    !BASE64URL.test(encodedSignature) ||
    !BASE64URL.test(encodedPayload)
  ) {
    return failure('signed_request.malformed', 'expected <base64url signature>.<base64url payload>');
  }

  const signature = Buffer.from(encodedSignature, 'base64url');
  if (signature.length !== SIGNATURE_BYTES) {
    return failure('signed_request.malformed', 'the signature is not an HMAC-SHA256 digest');
  }
  const secretIndex = indexOfMatchingSecret(secrets, signature, (secret) => hmac(encodedPayload, secret));
  if (secretIndex === -1) return failure('signed_request.bad_signature', 'the signature does not match');

  const payload = decodePayload(encodedPayload);
  if (!payload.ok) return payload;
  const { algorithm, user_id: userId, issued_at: issuedAt, expires, profile_id: profileId } = payload.data;
  if (algorithm.toUpperCase() !== ALGORITHM) {
    return failure('signed_request.unsupported_algorithm', `algorithm must be ${ALGORITHM}`);
  }
  if (expires !== undefined && expires !== 0 && expires * 1000 <= now.getTime()) {
    return failure('signed_request.expired', 'the signed request has expired');
  }
  if (issuedAt !== undefined && now.getTime() - issuedAt * 1000 > SIGNED_REQUEST_MAX_AGE_SECONDS * 1000) {
    return failure('signed_request.stale', 'the signed request was issued more than a day ago');
  }

  const request: SignedRequest = { userId, secretIndex };
  if (issuedAt !== undefined) request.issuedAt = new Date(issuedAt * 1000);
  if (expires !== undefined && expires !== 0) request.expires = new Date(expires * 1000);
  if (profileId !== undefined) request.profileId = profileId;
  return { ok: true, request };
}

type DecodedPayload =
  | { ok: true; data: z.infer<typeof payloadSchema> }
  | { ok: false; code: SignedRequestErrorCode; message: string };

function decodePayload(encodedPayload: string): DecodedPayload {
  let json: unknown;
  try {
    json = parseJsonPreservingBigInts(Buffer.from(encodedPayload, 'base64url').toString('utf8'));
  } catch {
    return failure('signed_request.invalid_payload', 'the payload is not JSON');
  }
  const parsed = payloadSchema.safeParse(json);
  if (!parsed.success || Array.isArray(json)) {
    const detail = parsed.success ? 'not an object' : describeIssue(parsed.error);
    return failure('signed_request.invalid_payload', `the payload is invalid: ${detail}`);
  }
  return { ok: true, data: parsed.data };
}

/** Builds a signed request the way Meta does; `algorithm: "HMAC-SHA256"` is added when the payload has none. */
export function createSignedRequest(payload: Record<string, unknown>, secret: string): string {
  const body = 'algorithm' in payload ? payload : { algorithm: ALGORITHM, ...payload };
  const encodedPayload = Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
  return `${hmac(encodedPayload, secret).toString('base64url')}.${encodedPayload}`;
}

function hmac(encodedPayload: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(encodedPayload, 'utf8').digest();
}

function failure(code: SignedRequestErrorCode, message: string): { ok: false; code: SignedRequestErrorCode; message: string } {
  return { ok: false, code, message };
}
