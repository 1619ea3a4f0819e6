import { describe, expect, it } from 'vitest';
import { constantTimeEqual, randomToken, sha256Hex } from './random.ts';

describe('randomToken', () => {
  it('encodes 32 random bytes as 43 base64url characters by default', () => {
    const token = randomToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url').length).toBe(32);
  });

  it('encodes the requested number of bytes', () => {
    expect(Buffer.from(randomToken(16), 'base64url').length).toBe(16);
  });

  it('does not repeat', () => {
    const seen = new Set(Array.from({ length: 200 }, () => randomToken()));
    expect(seen.size).toBe(200);
  });

  it('refuses a non-positive or fractional size', () => {
    expect(() => randomToken(0)).toThrow(RangeError);
    expect(() => randomToken(1.5)).toThrow(RangeError);
  });
});

describe('sha256Hex', () => {
  it('matches the published SHA-256 digests', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('hashes the UTF-8 bytes of the string', () => {
    expect(sha256Hex('é')).toBe('4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c');
    expect(sha256Hex('é')).not.toBe(sha256Hex('e'));
  });
});

describe('constantTimeEqual', () => {
  it('is true for equal strings', () => {
    expect(constantTimeEqual('s3cret', 's3cret')).toBe(true);
    expect(constantTimeEqual('', '')).toBe(true);
  });

  it('is false for different strings of the same length', () => {
    expect(constantTimeEqual('s3cret', 's3creT')).toBe(false);
  });

  it('is false, without throwing, for strings of different lengths', () => {
    expect(constantTimeEqual('s3cret', 's3cret-and-more')).toBe(false);
    expect(constantTimeEqual('', 'x')).toBe(false);
  });

  it('compares characters, not a lossy encoding of them', () => {
    expect(constantTimeEqual('é', 'e')).toBe(false);
    expect(constantTimeEqual('🎉', '🎊')).toBe(false);
  });
});
