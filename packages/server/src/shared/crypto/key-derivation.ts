// One configured secret, many keys: HKDF-SHA256 with a purpose label makes the session-JWT key, the token-vault
// key and any later key independent, so leaking or rotating one use never exposes another.
import { hkdfSync } from 'node:crypto';

export type KeyPurpose = 'token-vault' | 'session-jwt' | (string & {});

// A fixed, public salt: HKDF only needs the salt to be independent of the secret (RFC 5869, section 3.1).
const SALT = 'threadline/hkdf-salt/v1';
const PURPOSE_PATTERN = /^[a-z0-9][a-z0-9.-]*$/;

/** Derives `length` bytes (1..255*32) for one purpose; the HKDF info is `threadline/<purpose>/v1`. */
export function deriveKey(secret: string, purpose: KeyPurpose, length = 32): Buffer {
  if (secret.length === 0) throw new RangeError('Cannot derive a key from an empty secret');
  // The label is part of the derivation, so a purpose containing '/' could collide with another one.
  if (!PURPOSE_PATTERN.test(purpose)) throw new RangeError('Key purpose must be lowercase letters, digits, "." or "-"');
  if (!Number.isInteger(length) || length < 1 || length > 255 * 32) {
    throw new RangeError('Derived key length must be an integer from 1 to 8160');
  }
  return Buffer.from(hkdfSync('sha256', secret, SALT, `threadline/${purpose}/v1`, length));
}
