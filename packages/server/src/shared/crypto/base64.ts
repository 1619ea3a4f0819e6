// Strict base64 helpers. Node's Buffer.from(s, 'base64') silently skips characters outside the alphabet and
// ignores trailing data; Fernet tokens, keys and legacy values must instead be rejected unless canonical.

const URL_SAFE_PADDED = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}==|[A-Za-z0-9_-]{3}=)?$/;
const STANDARD_PADDED = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** url-safe base64 with `=` padding, as Python's `base64.urlsafe_b64encode` writes it. */
export function encodeUrlSafePadded(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replaceAll('+', '-').replaceAll('/', '_');
}

/** Decodes padded url-safe base64; null unless the input is exactly the canonical encoding of its bytes. */
export function decodeUrlSafePaddedStrict(text: string): Buffer | null {
  if (!URL_SAFE_PADDED.test(text)) return null;
  const bytes = Buffer.from(text, 'base64url');
  return encodeUrlSafePadded(bytes) === text ? bytes : null;
}

/** Decodes padded standard-alphabet base64; null unless the input is exactly the canonical encoding. */
export function decodeStandardPaddedStrict(text: string): Buffer | null {
  if (!STANDARD_PADDED.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : null;
}
