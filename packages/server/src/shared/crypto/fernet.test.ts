import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FernetError, fernetDecrypt, fernetEncrypt, generateFernetKey, parseFernetKey } from './fernet.ts';
import type { FernetErrorCode } from './fernet.ts';

const fixtureDir = new URL('../../../test/fixtures/fernet/', import.meta.url);
function loadFixture<T extends z.ZodType>(name: string, schema: T): z.infer<T> {
  return schema.parse(JSON.parse(readFileSync(new URL(name, fixtureDir), 'utf8')));
}

const generateVectors = loadFixture(
  'generate.json',
  z.array(z.object({ token: z.string(), now: z.string(), iv: z.array(z.number().int()), src: z.string(), secret: z.string() })),
);
const verifyVectors = loadFixture(
  'verify.json',
  z.array(z.object({ token: z.string(), now: z.string(), ttl_sec: z.number(), src: z.string(), secret: z.string() })),
);
const invalidVectors = loadFixture(
  'invalid.json',
  z.array(z.object({ desc: z.string(), token: z.string(), now: z.string(), ttl_sec: z.number(), secret: z.string() })),
);

// Why each published invalid token fails, in our error vocabulary.
const expectedInvalidCode: Record<string, FernetErrorCode> = {
  'incorrect mac': 'fernet.bad_hmac',
  'too short': 'fernet.too_short',
  'invalid base64': 'fernet.bad_base64',
  'payload size not multiple of block size': 'fernet.bad_ciphertext_length',
  'payload padding error': 'fernet.bad_padding',
  'far-future TS (unacceptable clock skew)': 'fernet.future_timestamp',
  'expired TTL': 'fernet.expired',
  'incorrect IV (causes padding error)': 'fernet.bad_padding',
  'trailing characters after b64 padding': 'fernet.bad_base64',
  'invalid characters in b64': 'fernet.bad_base64',
  'invalid non-urlsafe characters in b64': 'fernet.bad_base64',
};

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof FernetError) return error.code;
    throw error;
  }
  return 'no error';
}

describe('Fernet spec vectors', () => {
  it('ships every published vector', () => {
    expect(generateVectors.length).toBeGreaterThan(0);
    expect(verifyVectors.length).toBeGreaterThan(0);
    expect(invalidVectors.map((v) => v.desc).sort()).toEqual(Object.keys(expectedInvalidCode).sort());
  });

  it.each(generateVectors)('generates the published token for "$src" at $now', (v) => {
    const token = fernetEncrypt(parseFernetKey(v.secret), v.src, { now: new Date(v.now), iv: Uint8Array.from(v.iv) });
    expect(token).toBe(v.token);
  });

  it.each(verifyVectors)('verifies the published token at $now with a $ttl_sec s ttl', (v) => {
    const plain = fernetDecrypt(parseFernetKey(v.secret), v.token, { ttlSeconds: v.ttl_sec, now: new Date(v.now) });
    expect(plain.toString('utf8')).toBe(v.src);
  });

  it.each(invalidVectors)('rejects the invalid token: $desc', (v) => {
    const key = parseFernetKey(v.secret);
    const code = codeOf(() => fernetDecrypt(key, v.token, { ttlSeconds: v.ttl_sec, now: new Date(v.now) }));
    expect(code).toBe(expectedInvalidCode[v.desc]);
  });
});

describe('Fernet keys', () => {
  it('generates keys that parse into a 16-byte signing key and a 16-byte encryption key', () => {
    const text = generateFernetKey();
    expect(text).toMatch(/^[A-Za-z0-9_-]{43}=$/);
    const key = parseFernetKey(text);
    expect(key.signingKey.length).toBe(16);
    expect(key.encryptionKey.length).toBe(16);
    expect(generateFernetKey()).not.toBe(text);
  });

  it('rejects a key of the wrong length with a message that states the length but not the key', () => {
    const short = Buffer.alloc(16, 7).toString('base64url') + '==';
    const error = (() => {
      try {
        parseFernetKey(short);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(FernetError);
    expect(error).toMatchObject({ code: 'fernet.bad_key', message: expect.stringContaining('got 16') });
    expect(String(error)).not.toContain(short);
  });

  it('rejects a key that is not url-safe base64', () => {
    expect(codeOf(() => parseFernetKey('not a key at all'))).toBe('fernet.bad_key');
    const standardAlphabet = Buffer.alloc(32, 0xfb).toString('base64');
    expect(standardAlphabet).toMatch(/[+/]/);
    expect(codeOf(() => parseFernetKey(standardAlphabet))).toBe('fernet.bad_key');
    expect(codeOf(() => parseFernetKey(Buffer.alloc(32, 1).toString('base64url')))).toBe('fernet.bad_key');
  });
});

describe('Fernet round trips', () => {
  const key = parseFernetKey(generateFernetKey());

  it('decrypts what it encrypts, text and binary', () => {
    expect(fernetDecrypt(key, fernetEncrypt(key, 'IGQVJ… token ✓')).toString('utf8')).toBe('IGQVJ… token ✓');
    const binary = Uint8Array.from([0, 255, 16, 128]);
    expect([...fernetDecrypt(key, fernetEncrypt(key, binary))]).toEqual([...binary]);
    expect(fernetDecrypt(key, fernetEncrypt(key, '')).length).toBe(0);
  });

  it('writes url-safe base64 with padding that starts like every 0x80 token', () => {
    const token = fernetEncrypt(key, 'x'.repeat(20));
    expect(token).toMatch(/^gAAAAA[A-Za-z0-9_-]*=*$/);
    expect(token.length % 4).toBe(0);
  });

  it('uses a fresh IV for every token', () => {
    expect(fernetEncrypt(key, 'same')).not.toBe(fernetEncrypt(key, 'same'));
  });

  it('rejects a token made with another key as a bad signature', () => {
    const other = parseFernetKey(generateFernetKey());
    expect(codeOf(() => fernetDecrypt(other, fernetEncrypt(key, 'secret')))).toBe('fernet.bad_hmac');
  });

  it('rejects a token whose version byte is not 0x80', () => {
    const bytes = Buffer.from(fernetEncrypt(key, 'secret'), 'base64url');
    bytes[0] = 0x81;
    const tampered = bytes.toString('base64').replaceAll('+', '-').replaceAll('/', '_');
    expect(codeOf(() => fernetDecrypt(key, tampered))).toBe('fernet.bad_version');
  });

  it('checks age only when a ttl is given, allowing 60 s of clock skew', () => {
    const made = new Date('2024-05-01T12:00:00Z');
    const token = fernetEncrypt(key, 'secret', { now: made });
    const at = (seconds: number) => new Date(made.getTime() + seconds * 1000);
    expect(codeOf(() => fernetDecrypt(key, token, { ttlSeconds: 10, now: at(10) }))).toBe('no error');
    expect(codeOf(() => fernetDecrypt(key, token, { ttlSeconds: 10, now: at(11) }))).toBe('fernet.expired');
    expect(codeOf(() => fernetDecrypt(key, token, { ttlSeconds: 10, now: at(-60) }))).toBe('no error');
    expect(codeOf(() => fernetDecrypt(key, token, { ttlSeconds: 10, now: at(-61) }))).toBe('fernet.future_timestamp');
    expect(codeOf(() => fernetDecrypt(key, token, { now: at(10_000_000) }))).toBe('no error');
  });

  it('refuses an IV that is not 16 bytes', () => {
    expect(() => fernetEncrypt(key, 'x', { iv: new Uint8Array(8) })).toThrow(RangeError);
  });

  it('never puts the plaintext or the token in an error message', () => {
    const token = fernetEncrypt(key, 'top-secret-plaintext');
    const other = parseFernetKey(generateFernetKey());
    try {
      fernetDecrypt(other, token);
      expect.unreachable();
    } catch (error) {
      expect(String(error)).not.toContain('top-secret-plaintext');
      expect(String(error)).not.toContain(token);
    }
  });
});
