import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveKey } from './key-derivation.ts';

describe('deriveKey', () => {
  const secret = 'a-session-secret-of-reasonable-length';

  it('gives the JWT key and the vault key different bytes from the same secret', () => {
    const vault = deriveKey(secret, 'token-vault');
    const jwt = deriveKey(secret, 'session-jwt');
    expect(vault.length).toBe(32);
    expect(jwt.length).toBe(32);
    expect(vault.equals(jwt)).toBe(false);
  });

  it('is deterministic for a secret and purpose', () => {
    expect(deriveKey(secret, 'token-vault').equals(deriveKey(secret, 'token-vault'))).toBe(true);
  });

  it('gives different keys for different secrets', () => {
    expect(deriveKey(secret, 'token-vault').equals(deriveKey(`${secret}!`, 'token-vault'))).toBe(false);
  });

  it('never returns the secret itself', () => {
    const raw = Buffer.from('x'.repeat(32));
    expect(deriveKey('x'.repeat(32), 'token-vault').equals(raw)).toBe(false);
  });

  it('follows HKDF-SHA256 (RFC 5869) with info threadline/<purpose>/v1', () => {
    // Independent computation of extract-then-expand for one 32-byte block.
    const prk = createHmac('sha256', 'threadline/hkdf-salt/v1').update(secret).digest();
    const okm = createHmac('sha256', prk).update(Buffer.concat([Buffer.from('threadline/crm-webhook/v1'), Buffer.from([1])])).digest();
    expect(deriveKey(secret, 'crm-webhook').equals(okm)).toBe(true);
  });

  it('returns the requested length, and a shorter key is a prefix of the longer one', () => {
    const long = deriveKey(secret, 'token-vault', 64);
    expect(long.length).toBe(64);
    expect(deriveKey(secret, 'token-vault', 16).equals(long.subarray(0, 16))).toBe(true);
  });

  it('refuses an empty secret, a purpose that could collide with another label, and impossible lengths', () => {
    expect(() => deriveKey('', 'token-vault')).toThrow(RangeError);
    expect(() => deriveKey(secret, 'token-vault/v2')).toThrow(RangeError);
    expect(() => deriveKey(secret, '')).toThrow(RangeError);
    expect(() => deriveKey(secret, 'token-vault', 0)).toThrow(RangeError);
    expect(() => deriveKey(secret, 'token-vault', 255 * 32 + 1)).toThrow(RangeError);
  });
});
