import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

// Meta signs every webhook POST with `X-Hub-Signature-256: sha256=<hex>`: HMAC-SHA256 of the raw body, keyed by
// the app secret. Which secret (Meta app vs Instagram app) is unconfirmed, so callers pass every configured secret
// and learn which one matched.

export type MetaSignatureResult =
  | { ok: true; secretIndex: number }
  | { ok: false; reason: 'missing' | 'malformed' | 'mismatch' };

const SIGNATURE_HEADER = /^sha256=([0-9a-f]{64})$/i;
const DIGEST_BYTES = 32;

export function verifyMetaSignature(
  rawBody: Buffer,
  header: string | undefined,
  secrets: readonly string[],
): MetaSignatureResult {
  if (header === undefined || header.trim() === '') return { ok: false, reason: 'missing' };
  const match = SIGNATURE_HEADER.exec(header.trim());
  const hex = match?.[1];
  if (hex === undefined) return { ok: false, reason: 'malformed' };
  const provided = Buffer.from(hex.toLowerCase(), 'hex');
  if (provided.length !== DIGEST_BYTES) return { ok: false, reason: 'malformed' };

  const secretIndex = indexOfMatchingSecret(secrets, provided, (secret) =>
    createHmac('sha256', secret).update(rawBody).digest(),
  );
  return secretIndex === -1 ? { ok: false, reason: 'mismatch' } : { ok: true, secretIndex };
}

/** The header value Meta would send for this body: `sha256=<lowercase hex>`. */
export function signMetaBody(rawBody: Buffer | string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/**
 * Compares `provided` with the digest of every secret, always all of them, so the time taken says nothing about
 * which secret (if any) matched. An empty secret is a misconfiguration and never matches. Returns the first
 * matching index or -1.
 */
export function indexOfMatchingSecret(
  secrets: readonly string[],
  provided: Buffer,
  digestFor: (secret: string) => Buffer,
): number {
  let found = -1;
  for (let index = 0; index < secrets.length; index += 1) {
    const secret = secrets[index] ?? '';
    const expected = digestFor(secret);
    const equal = expected.length === provided.length && timingSafeEqual(expected, provided);
    if (equal && secret !== '' && found === -1) found = index;
  }
  return found;
}

// Fastify's default query parser keeps the dotted keys flat (`hub.mode`); `qs`-style parsers nest them under `hub`.
const flatHandshakeSchema = z.looseObject({
  'hub.mode': z.string(),
  'hub.verify_token': z.string(),
  'hub.challenge': z.string(),
});
const nestedHandshakeSchema = z.looseObject({
  hub: z.looseObject({ mode: z.string(), verify_token: z.string(), challenge: z.string() }),
});

// The challenge is echoed back in the response body. Meta sends digits; allow URL-unreserved characters only, so
// nothing echoed can be markup.
const CHALLENGE_PATTERN = /^[A-Za-z0-9._~-]{1,1024}$/;

/**
 * Meta's subscription handshake (`GET ?hub.mode=subscribe&hub.challenge=…&hub.verify_token=…`). Returns the
 * challenge to echo back with 200, or null when the request must be refused with 403.
 */
export function verifySubscriptionHandshake(query: unknown, verifyToken: string): string | null {
  const handshake = readHandshake(query);
  if (handshake === null || verifyToken === '') return null;
  const tokenMatches = constantTimeEqualStrings(handshake.verifyToken, verifyToken);
  if (!tokenMatches || handshake.mode !== 'subscribe') return null;
  return CHALLENGE_PATTERN.test(handshake.challenge) ? handshake.challenge : null;
}

function readHandshake(query: unknown): { mode: string; verifyToken: string; challenge: string } | null {
  const flat = flatHandshakeSchema.safeParse(query);
  if (flat.success) {
    return {
      mode: flat.data['hub.mode'],
      verifyToken: flat.data['hub.verify_token'],
      challenge: flat.data['hub.challenge'],
    };
  }
  const nested = nestedHandshakeSchema.safeParse(query);
  if (nested.success) {
    const { mode, verify_token: verifyToken, challenge } = nested.data.hub;
    return { mode, verifyToken, challenge };
  }
  return null;
}

/** Equal-length digests make the comparison independent of where, or whether, the strings differ. */
export function constantTimeEqualStrings(left: string, right: string): boolean {
  const a = createHash('sha256').update(left, 'utf8').digest();
  const b = createHash('sha256').update(right, 'utf8').digest();
  return timingSafeEqual(a, b);
}
