import * as argon2 from '@node-rs/argon2';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  PASSWORD_HASH_OPTIONS,
  hashPassword,
  passwordNeedsRehash,
  passwordPolicy,
  verifyPassword,
  verifyPasswordOrDummy,
} from './password.ts';

// The real library, with its verify() observed so the dummy path can be checked without timing anything.
vi.mock('@node-rs/argon2', async (importOriginal) => {
  const real = await importOriginal<typeof import('@node-rs/argon2')>();
  return { ...real, verify: vi.fn(real.verify) };
});

describe('password hashing', () => {
  // Braces matter: a function returned from beforeEach would be run as a teardown hook.
  beforeEach(() => {
    vi.mocked(argon2.verify).mockClear();
  });

  it('hashes with argon2id at the OWASP baseline (19456 KiB, 2 passes, 1 lane)', async () => {
    const stored = await hashPassword('correct horse battery staple');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(argon2.parseOptions(stored)).toMatchObject({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
    expect(stored).not.toContain('correct horse');
  });

  it('salts every hash', async () => {
    expect(await hashPassword('same password')).not.toBe(await hashPassword('same password'));
  });

  it('accepts the right password and rejects a wrong one', async () => {
    const stored = await hashPassword('correct horse battery staple');
    expect(await verifyPassword(stored, 'correct horse battery staple')).toBe(true);
    expect(await verifyPassword(stored, 'correct horse battery stapler')).toBe(false);
    expect(await verifyPassword(stored, '')).toBe(false);
  });

  it('handles non-ASCII passwords', async () => {
    const stored = await hashPassword('pässwörd-🔑-ключ');
    expect(await verifyPassword(stored, 'pässwörd-🔑-ключ')).toBe(true);
    expect(await verifyPassword(stored, 'passwort-🔑-ключ')).toBe(false);
  });

  it('treats a malformed stored hash as a failed verification', async () => {
    expect(await verifyPassword('not-a-hash', 'anything')).toBe(false);
    expect(await verifyPassword('', 'anything')).toBe(false);
  });

  it('returns false for an unknown user after a full verification against a baseline-cost dummy hash', async () => {
    expect(await verifyPasswordOrDummy(null, 'guess-123')).toBe(false);
    const calls = vi.mocked(argon2.verify).mock.calls;
    expect(calls).toHaveLength(1);
    const dummy = calls[0]?.[0];
    expect(typeof dummy).toBe('string');
    expect(argon2.parseOptions(String(dummy))).toMatchObject({
      algorithm: PASSWORD_HASH_OPTIONS.algorithm,
      memoryCost: 19456,
      timeCost: 2,
      parallelism: 1,
    });
    expect(passwordNeedsRehash(String(dummy))).toBe(false);
  });

  it('checks a known user against the stored hash', async () => {
    const stored = await hashPassword('the real one');
    expect(await verifyPasswordOrDummy(stored, 'the real one')).toBe(true);
    expect(await verifyPasswordOrDummy(stored, 'not the real one')).toBe(false);
  });

  it('asks for a rehash of hashes made with weaker settings or that cannot be read', async () => {
    expect(passwordNeedsRehash(await hashPassword('pw-current'))).toBe(false);
    const weak = await argon2.hash('pw-old', { memoryCost: 4096, timeCost: 1, parallelism: 1 });
    expect(passwordNeedsRehash(weak)).toBe(true);
    const argon2i = await argon2.hash('pw-old', { ...PASSWORD_HASH_OPTIONS, algorithm: 1 });
    expect(passwordNeedsRehash(argon2i)).toBe(true);
    expect(passwordNeedsRehash('garbage')).toBe(true);
  });
});

describe('passwordPolicy', () => {
  it('accepts a password of 8 characters or more within 256 bytes', () => {
    expect(passwordPolicy('12345678')).toEqual([]);
    expect(passwordPolicy('a'.repeat(256))).toEqual([]);
  });

  it('refuses fewer than 8 characters', () => {
    expect(passwordPolicy('1234567').map((p) => p.code)).toEqual(['password.too_short']);
    expect(passwordPolicy('').map((p) => p.code)).toEqual(['password.too_short']);
  });

  it('refuses more than 256 bytes, counting UTF-8 bytes', () => {
    expect(passwordPolicy('a'.repeat(257)).map((p) => p.code)).toEqual(['password.too_long']);
    expect(passwordPolicy('é'.repeat(129)).map((p) => p.code)).toEqual(['password.too_long']);
    expect(passwordPolicy('é'.repeat(128))).toEqual([]);
  });

  it('counts characters, not UTF-16 units, toward the minimum', () => {
    expect(passwordPolicy('🔑🔑🔑🔑🔑🔑🔑').map((p) => p.code)).toEqual(['password.too_short']);
    expect(passwordPolicy('🔑🔑🔑🔑🔑🔑🔑🔑')).toEqual([]);
  });

  it('never repeats the password in a problem message', () => {
    for (const problem of [...passwordPolicy('hunter2'), ...passwordPolicy('hunter2'.repeat(50))]) {
      expect(problem.message).not.toContain('hunter2');
    }
  });
});
