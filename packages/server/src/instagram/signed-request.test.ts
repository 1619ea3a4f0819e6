import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSignedRequest, parseSignedRequest } from './signed-request.ts';

const secret = 'instagram-app-secret';
const metaSecret = 'meta-app-secret';
const now = new Date('2010-12-08T20:00:00Z'); // between issued_at 1291836800 and expires 1291840400
const documented = { algorithm: 'HMAC-SHA256', expires: 1291840400, issued_at: 1291836800, user_id: '218471' };

function b64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

/** Signs an already-encoded payload exactly as given, to build requests createSignedRequest would not. */
function signEncoded(encodedPayload: string, key: string): string {
  return `${createHmac('sha256', key).update(encodedPayload).digest('base64url')}.${encodedPayload}`;
}

describe('parseSignedRequest', () => {
  it('decodes the documented deauthorize payload', () => {
    expect(parseSignedRequest(createSignedRequest(documented, secret), [secret], now)).toEqual({
      ok: true,
      request: {
        userId: '218471',
        issuedAt: new Date(1291836800 * 1000),
        expires: new Date(1291840400 * 1000),
        secretIndex: 0,
      },
    });
  });

  it('signs over the encoded payload string, as Meta does', () => {
    const encoded = b64url(JSON.stringify(documented));
    const expected = createHmac('sha256', secret).update(encoded).digest('base64url');
    expect(createSignedRequest(documented, secret)).toBe(`${expected}.${encoded}`);
  });

  it('tells which of several secrets signed the request', () => {
    const request = createSignedRequest(documented, metaSecret);
    expect(parseSignedRequest(request, [secret, metaSecret], now)).toMatchObject({ ok: true, request: { secretIndex: 1 } });
  });

  it('accepts a payload without expires, as Basic Display deauthorizations send', () => {
    const result = parseSignedRequest(createSignedRequest({ user_id: '218471', issued_at: 1291836800 }, secret), [secret], now);
    expect(result).toEqual({ ok: true, request: { userId: '218471', issuedAt: new Date(1291836800000), secretIndex: 0 } });
  });

  it('treats expires 0 as never expiring', () => {
    const result = parseSignedRequest(createSignedRequest({ user_id: '1', expires: 0 }, secret), [secret], now);
    expect(result).toEqual({ ok: true, request: { userId: '1', secretIndex: 0 } });
  });

  it('reads a profile id and numeric ids as exact strings, and string timestamps', () => {
    const encoded = b64url('{"algorithm":"HMAC-SHA256","user_id":17841405793187218,"profile_id":17841405793187219,"issued_at":"1291836800"}');
    expect(parseSignedRequest(signEncoded(encoded, secret), [secret], now)).toEqual({
      ok: true,
      request: { userId: '17841405793187218', profileId: '17841405793187219', issuedAt: new Date(1291836800000), secretIndex: 0 },
    });
  });

  it('accepts the algorithm name in any case', () => {
    const request = createSignedRequest({ ...documented, algorithm: 'hmac-sha256' }, secret);
    expect(parseSignedRequest(request, [secret], now)).toMatchObject({ ok: true });
  });

  it('accepts base64 padding on either part', () => {
    const encoded = b64url(JSON.stringify({ ...documented, user_id: '2184' }));
    const padded = `${encoded}${'='.repeat((4 - (encoded.length % 4)) % 4)}`;
    const signature = createHmac('sha256', secret).update(padded).digest('base64');
    const urlSafe = signature.replaceAll('+', '-').replaceAll('/', '_');
    expect(parseSignedRequest(`${urlSafe}.${padded}`, [secret], now)).toMatchObject({ ok: true, request: { userId: '2184' } });
  });

  it('refuses a request signed with another key', () => {
    expect(parseSignedRequest(createSignedRequest(documented, 'attacker'), [secret, metaSecret], now)).toMatchObject({
      ok: false,
      code: 'signed_request.bad_signature',
    });
  });

  it('refuses a payload altered after signing', () => {
    const [signature] = createSignedRequest(documented, secret).split('.');
    const forged = `${signature}.${b64url(JSON.stringify({ ...documented, user_id: '999' }))}`;
    expect(parseSignedRequest(forged, [secret], now)).toMatchObject({ ok: false, code: 'signed_request.bad_signature' });
  });

  it('refuses a truncated signature', () => {
    const [signature, payload] = createSignedRequest(documented, secret).split('.');
    const truncated = `${signature?.slice(0, -2)}.${payload}`;
    expect(parseSignedRequest(truncated, [secret], now)).toMatchObject({ ok: false, code: 'signed_request.malformed' });
  });

  it('refuses malformed input', () => {
    const good = createSignedRequest(documented, secret);
    for (const input of ['', 'abc', '.', `${good}.extra`, `.${good.split('.')[1]}`, `${good.split('.')[0]}.`, `a b.${good}`, 'x'.repeat(20_000)]) {
      expect(parseSignedRequest(input, [secret], now), input.slice(0, 40)).toMatchObject({
        ok: false,
        code: 'signed_request.malformed',
      });
    }
  });

  it('refuses everything when no usable secret is configured', () => {
    expect(parseSignedRequest(createSignedRequest(documented, ''), [''], now)).toMatchObject({
      ok: false,
      code: 'signed_request.bad_signature',
    });
    expect(parseSignedRequest(createSignedRequest(documented, secret), [], now)).toMatchObject({
      ok: false,
      code: 'signed_request.bad_signature',
    });
  });

  it('refuses an algorithm other than HMAC-SHA256, even when correctly signed', () => {
    for (const algorithm of ['HMAC-SHA1', 'none', '']) {
      expect(parseSignedRequest(createSignedRequest({ ...documented, algorithm }, secret), [secret], now)).toMatchObject({
        ok: false,
        code: 'signed_request.unsupported_algorithm',
      });
    }
  });

  it('refuses an expired request', () => {
    const later = new Date(1291840400 * 1000);
    expect(parseSignedRequest(createSignedRequest(documented, secret), [secret], later)).toMatchObject({
      ok: false,
      code: 'signed_request.expired',
    });
  });

  it('refuses a signed payload that is not JSON or lacks a user id', () => {
    const payloads = [
      b64url('not json'),
      b64url('[1,2]'),
      b64url('{"algorithm":"HMAC-SHA256"}'),
      b64url('{"algorithm":"HMAC-SHA256","user_id":""}'),
      b64url('{"algorithm":"HMAC-SHA256","user_id":"1","expires":"soon"}'),
      b64url('{"user_id":"1"}'),
    ];
    for (const encoded of payloads) {
      expect(parseSignedRequest(signEncoded(encoded, secret), [secret], now), encoded).toMatchObject({
        ok: false,
        code: 'signed_request.invalid_payload',
      });
    }
  });

  it('never echoes the secret in an error', () => {
    const result = parseSignedRequest(createSignedRequest(documented, 'attacker'), [secret], now);
    expect(JSON.stringify(result)).not.toContain(secret);
  });

  it('refuses an issued_at more than a day old', () => {
    const issued = Math.floor(now.getTime() / 1000);
    const old = parseSignedRequest(createSignedRequest({ user_id: '1', issued_at: issued - 86_401 }, secret), [secret], now);
    expect(old).toMatchObject({ ok: false, code: 'signed_request.stale' });
    expect(parseSignedRequest(createSignedRequest({ user_id: '1', issued_at: issued - 86_000 }, secret), [secret], now).ok).toBe(true);
  });
});
