// Encryption at rest for Instagram access tokens. Tokens are Fernet, so operators can read and write them with
// Python's `cryptography` too. Key rotation: the first key encrypts, every key decrypts (the key derived from
// SESSION_SECRET included, last); `isCurrent` and `reencrypt` let a job move old rows onto the first key.
import { FernetError, fernetDecrypt, fernetEncrypt, fernetKeyFromBytes, parseFernetKey } from './fernet.ts';
import type { FernetKey } from './fernet.ts';
import { deriveKey } from './key-derivation.ts';
import { classifyStoredToken, decodeLegacyOrNull } from './legacy-token.ts';
import type { StoredTokenKind } from './legacy-token.ts';

export type VaultErrorCode = 'vault.undecryptable' | 'vault.bad_key';

/** A vault failure. Its message never contains a key, a secret, a stored value or a plaintext token. */
export class VaultError extends Error {
  readonly code: VaultErrorCode;

  constructor(code: VaultErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VaultError';
    this.code = code;
  }
}

export interface TokenVaultOptions {
  /**
   * The key derived from it (HKDF, purpose 'token-vault') encrypts when `encryptionKeys` is empty or absent; when they
   * are set it stays, last, as a decrypt-only key, so adding explicit keys never strands what it encrypted
   * (`threadline rotate-keys` then moves everything to the first key).
   */
  sessionSecret: string;
  /** Fernet keys, newest first: the first encrypts, every one decrypts. */
  encryptionKeys?: readonly string[];
}

export interface TokenVault {
  /** A new Fernet token of `plain` under the first key. */
  encrypt(plain: string): string;
  /** The token inside a Fernet value, trying every key; throws `vault.undecryptable`. */
  decrypt(stored: string): string;
  /** Whether the value is a Fernet token that the first key decrypts (false for anything else). */
  isCurrent(stored: string): boolean;
  /** The same token encrypted anew under the first key; throws `vault.undecryptable`. */
  reencrypt(stored: string): string;
  classify(stored: string): StoredTokenKind;
  /** The token inside a legacy base64 value; throws `vault.undecryptable` when the value is not one. */
  decodeLegacy(stored: string): string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function createTokenVault(options: TokenVaultOptions): TokenVault {
  const keys = loadKeys(options);
  const first = keys[0];
  if (first === undefined) throw new VaultError('vault.bad_key', 'Token vault has no key');
  const currentKey: FernetKey = first;

  function decrypt(stored: string): string {
    for (const key of keys) {
      const result = tryDecrypt(key, stored);
      if (result.ok) return result.plain;
      if (result.failure === 'invalid') break;
    }
    throw new VaultError('vault.undecryptable', 'Stored token cannot be decrypted with any configured key');
  }

  function encrypt(plain: string): string {
    return fernetEncrypt(currentKey, plain);
  }

  return {
    encrypt,
    decrypt,
    isCurrent: (stored) => tryDecrypt(currentKey, stored).ok,
    reencrypt: (stored) => encrypt(decrypt(stored)),
    classify: classifyStoredToken,
    decodeLegacy: (stored) => {
      const plain = decodeLegacyOrNull(stored);
      if (plain === null) throw new VaultError('vault.undecryptable', 'Stored value is not a legacy base64 token');
      return plain;
    },
  };
}

/**
 * Failure 'wrong key' when the signature does not match (another key may fit); 'invalid' when no key can help
 * (not a Fernet token, or authentic but not UTF-8).
 */
type DecryptResult = { ok: true; plain: string } | { ok: false; failure: 'wrong key' | 'invalid' };

function tryDecrypt(key: FernetKey, stored: string): DecryptResult {
  let bytes: Buffer;
  try {
    bytes = fernetDecrypt(key, stored);
  } catch (error) {
    if (error instanceof FernetError) {
      return { ok: false, failure: error.code === 'fernet.bad_hmac' ? 'wrong key' : 'invalid' };
    }
    throw error;
  }
  try {
    return { ok: true, plain: utf8.decode(bytes) };
  } catch {
    return { ok: false, failure: 'invalid' };
  }
}

function loadKeys(options: TokenVaultOptions): FernetKey[] {
  const configured = options.encryptionKeys ?? [];
  const derived = options.sessionSecret.length > 0 ? [fernetKeyFromBytes(deriveKey(options.sessionSecret, 'token-vault', 32))] : [];
  if (configured.length > 0) {
    const explicit = configured.map((text, index) => {
      try {
        return parseFernetKey(text);
      } catch (error) {
        // The Fernet message names the problem (encoding, length) and never the key itself.
        const reason = error instanceof FernetError ? `: ${error.message}` : '';
        throw new VaultError('vault.bad_key', `Token encryption key #${index + 1} is not a Fernet key${reason}`);
      }
    });
    return [...explicit, ...derived];
  }
  if (options.sessionSecret.length === 0) {
    throw new VaultError('vault.bad_key', 'Token vault needs a session secret or an encryption key');
  }
  return derived;
}
