import { describe, expect, it } from 'vitest';
import { fernetDecrypt, fernetEncrypt, fernetKeyFromBytes, generateFernetKey, parseFernetKey } from './fernet.ts';
import { deriveKey } from './key-derivation.ts';
import { VaultError, createTokenVault } from './token-vault.ts';

const sessionSecret = 'session-secret-for-tests-0123456789';
const igToken = 'IGQWRPa1ZAfTmV4dC10b2tlbi12YWx1ZQ';

function vaultErrorOf(run: () => unknown): VaultError {
  try {
    run();
  } catch (error) {
    if (error instanceof VaultError) return error;
    throw error;
  }
  throw new Error('expected a VaultError');
}

describe('token vault with a key derived from the session secret', () => {
  const vault = createTokenVault({ sessionSecret });

  it('decrypts what it encrypts, as a Fernet token', () => {
    const stored = vault.encrypt(igToken);
    expect(stored).not.toContain(igToken);
    expect(vault.classify(stored)).toBe('fernet');
    expect(vault.decrypt(stored)).toBe(igToken);
  });

  it('uses the HKDF "token-vault" key, not the session-JWT key nor the raw secret', () => {
    const stored = vault.encrypt(igToken);
    const vaultKey = fernetKeyFromBytes(deriveKey(sessionSecret, 'token-vault'));
    expect(fernetDecrypt(vaultKey, stored).toString('utf8')).toBe(igToken);
    const jwtKey = fernetKeyFromBytes(deriveKey(sessionSecret, 'session-jwt'));
    expect(() => fernetDecrypt(jwtKey, stored)).toThrow();
  });

  it('cannot read tokens of a vault with another session secret', () => {
    const other = createTokenVault({ sessionSecret: `${sessionSecret}-other` });
    expect(vaultErrorOf(() => other.decrypt(vault.encrypt(igToken))).code).toBe('vault.undecryptable');
  });

  it('refuses to start without a secret or a key', () => {
    expect(vaultErrorOf(() => createTokenVault({ sessionSecret: '' })).code).toBe('vault.bad_key');
    expect(vaultErrorOf(() => createTokenVault({ sessionSecret: '', encryptionKeys: [] })).code).toBe('vault.bad_key');
  });
});

describe('token vault with configured keys', () => {
  const oldKey = generateFernetKey();
  const newKey = generateFernetKey();
  const before = createTokenVault({ sessionSecret, encryptionKeys: [oldKey] });
  const after = createTokenVault({ sessionSecret, encryptionKeys: [newKey, oldKey] });

  it('encrypts with the first key and decrypts with any of them', () => {
    const old = before.encrypt(igToken);
    const fresh = after.encrypt(igToken);
    expect(after.decrypt(old)).toBe(igToken);
    expect(after.decrypt(fresh)).toBe(igToken);
    expect(fernetDecrypt(parseFernetKey(newKey), fresh).toString('utf8')).toBe(igToken);
  });

  it('keeps the key derived from the session secret as a decrypt-only key, so nothing it encrypted is stranded', () => {
    const derivedOnly = createTokenVault({ sessionSecret });
    const old = derivedOnly.encrypt(igToken);
    expect(after.decrypt(old)).toBe(igToken);
    expect(after.isCurrent(old)).toBe(false);
    // what it encrypts now is under the explicit key only
    expect(vaultErrorOf(() => derivedOnly.decrypt(after.encrypt(igToken))).code).toBe('vault.undecryptable');
  });

  it('tells which values are on the first key and moves old ones onto it', () => {
    const old = before.encrypt(igToken);
    expect(after.isCurrent(old)).toBe(false);
    const moved = after.reencrypt(old);
    expect(after.isCurrent(moved)).toBe(true);
    expect(after.decrypt(moved)).toBe(igToken);
    const newOnly = createTokenVault({ sessionSecret, encryptionKeys: [newKey] });
    expect(newOnly.decrypt(moved)).toBe(igToken);
  });

  it('does not call a legacy or garbage value current', () => {
    expect(after.isCurrent(Buffer.from(igToken).toString('base64'))).toBe(false);
    expect(after.isCurrent('garbage')).toBe(false);
  });

  it('reads tokens written with the same key by another Fernet implementation', () => {
    const stored = fernetEncrypt(parseFernetKey(oldKey), igToken, { now: new Date('2020-01-01T00:00:00Z') });
    expect(after.decrypt(stored)).toBe(igToken);
  });

  it('keeps a token whose text would read like an internal marker intact', () => {
    expect(after.decrypt(after.encrypt('wrong key'))).toBe('wrong key');
    expect(after.decrypt(after.encrypt('invalid'))).toBe('invalid');
    expect(after.decrypt(after.encrypt(''))).toBe('');
  });

  it('rejects values that no key decrypts, without echoing them', () => {
    const foreign = createTokenVault({ sessionSecret, encryptionKeys: [generateFernetKey()] }).encrypt(igToken);
    for (const stored of [foreign, 'not-a-token', Buffer.from(igToken).toString('base64'), '']) {
      const error = vaultErrorOf(() => after.decrypt(stored));
      expect(error.code).toBe('vault.undecryptable');
      if (stored !== '') expect(error.message).not.toContain(stored);
      expect(error.message).not.toContain(igToken);
      expect(vaultErrorOf(() => after.reencrypt(stored)).code).toBe('vault.undecryptable');
    }
  });

  it('rejects an authentic token whose content is not UTF-8 text', () => {
    const stored = fernetEncrypt(parseFernetKey(newKey), Uint8Array.from([0xff, 0xfe, 0x00]));
    expect(vaultErrorOf(() => after.decrypt(stored)).code).toBe('vault.undecryptable');
  });

  it('names a bad configured key by position, never by value', () => {
    const bad = Buffer.alloc(16, 9).toString('base64url');
    const error = vaultErrorOf(() => createTokenVault({ sessionSecret, encryptionKeys: [newKey, bad] }));
    expect(error.code).toBe('vault.bad_key');
    expect(error.message).toContain('#2');
    expect(error.message).not.toContain(bad);
    expect(error.message).not.toContain(sessionSecret);
  });
});

describe('legacy base64 tokens', () => {
  const vault = createTokenVault({ sessionSecret });
  const legacy = Buffer.from(igToken, 'utf8').toString('base64');

  it('recognises and decodes a value stored by the old system', () => {
    expect(vault.classify(legacy)).toBe('legacy-base64');
    expect(vault.decodeLegacy(legacy)).toBe(igToken);
  });

  it('lets a migration re-encrypt a legacy value into a current one', () => {
    const stored = vault.encrypt(vault.decodeLegacy(legacy));
    expect(vault.isCurrent(stored)).toBe(true);
    expect(vault.decrypt(stored)).toBe(igToken);
  });

  it('recognises legacy values that use + and / of the standard alphabet', () => {
    const token = 'EAAG>>>??~~~|abc'; // encodes with '+' and '/'
    const stored = Buffer.from(token).toString('base64');
    expect(stored).toMatch(/[+/]/);
    expect(vault.classify(stored)).toBe('legacy-base64');
    expect(vault.decodeLegacy(stored)).toBe(token);
  });

  it('never mistakes a Fernet token for a legacy one, nor the reverse', () => {
    const fernet = vault.encrypt(igToken);
    expect(vault.classify(fernet)).toBe('fernet');
    expect(vaultErrorOf(() => vault.decodeLegacy(fernet)).code).toBe('vault.undecryptable');
    expect(vaultErrorOf(() => vault.decrypt(legacy)).code).toBe('vault.undecryptable');
  });

  it('calls a value unknown when it is neither', () => {
    const binary = Buffer.from([0x00, 0x01, 0xff, 0x10]).toString('base64');
    const unpadded = Buffer.from('abcd1').toString('base64').replace(/=+$/, '');
    for (const value of ['', 'plain text token', binary, unpadded, 'gAAAAAshort==', `${legacy}junk`]) {
      expect(vault.classify(value), value).toBe('unknown');
      expect(vaultErrorOf(() => vault.decodeLegacy(value)).code).toBe('vault.undecryptable');
    }
  });

  it('does not take a truncated Fernet token for a Fernet token', () => {
    const fernet = vault.encrypt(igToken);
    expect(vault.classify(fernet.slice(0, 40))).toBe('unknown');
  });
});
