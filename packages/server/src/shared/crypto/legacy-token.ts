// The system Threadline replaces stored Instagram access tokens as plain base64 (standard alphabet, padded) of
// the UTF-8 token. Those values must be told apart from Fernet tokens so they can be read once and re-encrypted.
import { decodeStandardPaddedStrict, decodeUrlSafePaddedStrict } from './base64.ts';

export type StoredTokenKind = 'fernet' | 'legacy-base64' | 'unknown';

const FERNET_PREFIX = 'gAAAAA'; // base64 of 0x80 followed by the high zero bytes of any timestamp before 2^32
const FERNET_OVERHEAD = 1 + 8 + 16 + 32;

/**
 * What a stored value looks like, from its shape only (no key involved): a Fernet token decodes to a 0x80
 * version byte and a whole number of cipher blocks; a legacy value decodes to printable ASCII. The two cannot
 * overlap, since 0x80 is not ASCII.
 */
export function classifyStoredToken(stored: string): StoredTokenKind {
  if (looksLikeFernet(stored)) return 'fernet';
  return decodeLegacyOrNull(stored) === null ? 'unknown' : 'legacy-base64';
}

/** The token inside a legacy value, or null when the value is not one. */
export function decodeLegacyOrNull(stored: string): string | null {
  const bytes = decodeStandardPaddedStrict(stored);
  if (bytes === null || bytes.length === 0) return null;
  for (const byte of bytes) {
    if (byte < 0x20 || byte > 0x7e) return null;
  }
  return bytes.toString('ascii');
}

function looksLikeFernet(stored: string): boolean {
  if (!stored.startsWith(FERNET_PREFIX)) return false;
  const bytes = decodeUrlSafePaddedStrict(stored);
  if (bytes === null || bytes[0] !== 0x80) return false;
  const ciphertextLength = bytes.length - FERNET_OVERHEAD;
  return ciphertextLength >= 16 && ciphertextLength % 16 === 0;
}
