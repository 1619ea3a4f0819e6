// Fernet (version 0x80) as published in the fernet/spec repository, interoperable with Python's
// `cryptography.fernet`: token = base64url(0x80 ‖ timestamp(u64 BE, seconds) ‖ IV(16) ‖ AES-128-CBC(PKCS7) ‖
// HMAC-SHA256(signing key, everything before it)), written with `=` padding.
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { decodeUrlSafePaddedStrict, encodeUrlSafePadded } from './base64.ts';

const VERSION = 0x80;
const HEADER_LENGTH = 1 + 8 + 16;
const HMAC_LENGTH = 32;
const BLOCK_SIZE = 16;
/** Same tolerance as the reference implementations: a token stamped up to 60 s ahead is still accepted. */
export const FERNET_MAX_CLOCK_SKEW_SECONDS = 60;

export type FernetErrorCode =
  | 'fernet.bad_key'
  | 'fernet.bad_base64'
  | 'fernet.bad_version'
  | 'fernet.too_short'
  | 'fernet.bad_hmac'
  | 'fernet.bad_ciphertext_length'
  | 'fernet.bad_padding'
  | 'fernet.expired'
  | 'fernet.future_timestamp';

/** Every failure of parsing a key or verifying a token. The message never contains key, token or plaintext. */
export class FernetError extends Error {
  readonly code: FernetErrorCode;

  constructor(code: FernetErrorCode, message: string) {
    super(message);
    this.name = 'FernetError';
    this.code = code;
  }
}

export interface FernetKey {
  readonly signingKey: Buffer;
  readonly encryptionKey: Buffer;
}

export interface FernetEncryptOptions {
  /** Timestamp written into the token; defaults to the current time. */
  now?: Date;
  /** 16-byte IV; defaults to random bytes. Only tests should pass one: an IV must never repeat under a key. */
  iv?: Uint8Array;
}

export interface FernetDecryptOptions {
  /** Maximum token age. Without it, age and clock skew are not checked (as in Python's `decrypt(token)`). */
  ttlSeconds?: number;
  now?: Date;
}

/** Parses a Fernet key: url-safe base64 (with padding) of 32 bytes, signing key first. */
export function parseFernetKey(b64: string): FernetKey {
  const bytes = decodeUrlSafePaddedStrict(b64);
  if (bytes === null) {
    throw new FernetError('fernet.bad_key', 'Fernet key must be url-safe base64 with padding');
  }
  return fernetKeyFromBytes(bytes);
}

/** A key from its 32 raw bytes (signing key first), e.g. bytes derived from a secret with HKDF. */
export function fernetKeyFromBytes(bytes: Uint8Array): FernetKey {
  if (bytes.length !== 32) {
    throw new FernetError('fernet.bad_key', `Fernet key must decode to 32 bytes, got ${bytes.length}`);
  }
  const copy = Buffer.from(bytes);
  return { signingKey: copy.subarray(0, 16), encryptionKey: copy.subarray(16, 32) };
}

/** A fresh random key in the same format as Python's `Fernet.generate_key()`. */
export function generateFernetKey(): string {
  return encodeUrlSafePadded(randomBytes(32));
}

export function fernetEncrypt(
  key: FernetKey,
  plaintext: string | Uint8Array,
  opts: FernetEncryptOptions = {},
): string {
  const iv = opts.iv ?? randomBytes(16);
  if (iv.length !== 16) throw new RangeError('Fernet IV must be 16 bytes');
  const seconds = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  if (!Number.isSafeInteger(seconds) || seconds < 0) throw new RangeError('Fernet timestamp must be after 1970');

  const cipher = createCipheriv('aes-128-cbc', key.encryptionKey, iv);
  const message = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  const ciphertext = Buffer.concat([cipher.update(message), cipher.final()]);

  const header = Buffer.alloc(HEADER_LENGTH);
  header.writeUInt8(VERSION, 0);
  header.writeBigUInt64BE(BigInt(seconds), 1);
  Buffer.from(iv).copy(header, 9);
  const signed = Buffer.concat([header, ciphertext]);
  return encodeUrlSafePadded(Buffer.concat([signed, sign(key, signed)]));
}

/**
 * Verifies and decrypts a token. The HMAC is checked before anything else in the token is trusted, so a
 * forged token always fails with `fernet.bad_hmac` whatever its timestamp says.
 */
export function fernetDecrypt(key: FernetKey, token: string, opts: FernetDecryptOptions = {}): Buffer {
  const bytes = decodeUrlSafePaddedStrict(token);
  if (bytes === null) throw new FernetError('fernet.bad_base64', 'Fernet token is not canonical url-safe base64');
  if (bytes.length === 0 || bytes[0] !== VERSION) {
    throw new FernetError('fernet.bad_version', 'Fernet token does not start with version 0x80');
  }
  if (bytes.length <= HEADER_LENGTH + HMAC_LENGTH) {
    throw new FernetError('fernet.too_short', 'Fernet token is too short');
  }

  const signed = bytes.subarray(0, bytes.length - HMAC_LENGTH);
  const mac = bytes.subarray(bytes.length - HMAC_LENGTH);
  if (!timingSafeEqual(sign(key, signed), mac)) {
    throw new FernetError('fernet.bad_hmac', 'Fernet token signature does not match the key');
  }

  const ciphertext = signed.subarray(HEADER_LENGTH);
  if (ciphertext.length % BLOCK_SIZE !== 0) {
    throw new FernetError('fernet.bad_ciphertext_length', 'Fernet ciphertext is not a whole number of blocks');
  }

  if (opts.ttlSeconds !== undefined) {
    checkAge(bytes.readBigUInt64BE(1), opts.ttlSeconds, opts.now ?? new Date());
  }

  const decipher = createDecipheriv('aes-128-cbc', key.encryptionKey, signed.subarray(9, HEADER_LENGTH));
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new FernetError('fernet.bad_padding', 'Fernet plaintext padding is invalid');
  }
}

function sign(key: FernetKey, data: Uint8Array): Buffer {
  return createHmac('sha256', key.signingKey).update(data).digest();
}

function checkAge(timestamp: bigint, ttlSeconds: number, now: Date): void {
  if (!Number.isFinite(ttlSeconds) || ttlSeconds < 0) throw new RangeError('ttlSeconds must be a finite number >= 0');
  const current = BigInt(Math.floor(now.getTime() / 1000));
  // Same comparisons as Python's cryptography: expired when timestamp + ttl < now.
  if (timestamp + BigInt(Math.floor(ttlSeconds)) < current) {
    throw new FernetError('fernet.expired', 'Fernet token has expired');
  }
  if (current + BigInt(FERNET_MAX_CLOCK_SKEW_SECONDS) < timestamp) {
    throw new FernetError('fernet.future_timestamp', 'Fernet token is dated too far in the future');
  }
}
