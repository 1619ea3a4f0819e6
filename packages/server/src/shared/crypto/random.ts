import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** `bytes` random bytes as unpadded base64url (32 bytes → 43 characters). */
export function randomToken(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < 1) throw new RangeError('randomToken needs a positive whole number of bytes');
  return randomBytes(bytes).toString('base64url');
}

/** SHA-256 of the UTF-8 string, as lowercase hex. */
export function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/**
 * Equality of two secrets in time independent of where they differ and of their lengths: both sides are hashed
 * to 32 bytes first, so `timingSafeEqual` never sees inputs of different lengths and no early return leaks one.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a, 'utf8').digest();
  const right = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(left, right);
}
