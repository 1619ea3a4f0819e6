import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  constantTimeEqualStrings,
  signMetaBody,
  verifyMetaSignature,
  verifySubscriptionHandshake,
} from './webhook-signature.ts';

const body = Buffer.from('{"object":"instagram","entry":[{"id":"17841400000000001","time":1569262486134}]}');
const secret = 'instagram-app-secret';
const otherSecret = 'meta-app-secret';

describe('verifyMetaSignature', () => {
  it('accepts a body signed with the configured secret', () => {
    expect(verifyMetaSignature(body, signMetaBody(body, secret), [secret])).toEqual({ ok: true, secretIndex: 0 });
  });

  it('produces the same digest as a plain HMAC-SHA256 of the raw bytes', () => {
    const hex = createHmac('sha256', secret).update(body).digest('hex');
    expect(signMetaBody(body, secret)).toBe(`sha256=${hex}`);
    expect(signMetaBody(body.toString('utf8'), secret)).toBe(`sha256=${hex}`);
  });

  it('tells which of several secrets signed the body', () => {
    const header = signMetaBody(body, otherSecret);
    expect(verifyMetaSignature(body, header, [secret, otherSecret])).toEqual({ ok: true, secretIndex: 1 });
  });

  it('reports the first index when the same secret is configured twice', () => {
    const header = signMetaBody(body, secret);
    expect(verifyMetaSignature(body, header, [otherSecret, secret, secret])).toEqual({ ok: true, secretIndex: 1 });
  });

  it('accepts uppercase hex and surrounding whitespace', () => {
    const header = signMetaBody(body, secret);
    const upper = `sha256=${header.slice('sha256='.length).toUpperCase()}`;
    expect(verifyMetaSignature(body, upper, [secret])).toEqual({ ok: true, secretIndex: 0 });
    expect(verifyMetaSignature(body, `  ${header}\t`, [secret])).toEqual({ ok: true, secretIndex: 0 });
  });

  it('rejects a body signed with another key', () => {
    expect(verifyMetaSignature(body, signMetaBody(body, 'attacker'), [secret, otherSecret])).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('rejects a body altered after signing', () => {
    const header = signMetaBody(body, secret);
    const altered = Buffer.from(body.toString('utf8').replace('17841400000000001', '17841400000000002'));
    expect(verifyMetaSignature(altered, header, [secret])).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('rejects a signature with one hex digit changed', () => {
    const header = signMetaBody(body, secret);
    const last = header.at(-1) === '0' ? '1' : '0';
    expect(verifyMetaSignature(body, header.slice(0, -1) + last, [secret])).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('reports a missing header', () => {
    expect(verifyMetaSignature(body, undefined, [secret])).toEqual({ ok: false, reason: 'missing' });
    expect(verifyMetaSignature(body, '', [secret])).toEqual({ ok: false, reason: 'missing' });
    expect(verifyMetaSignature(body, '   ', [secret])).toEqual({ ok: false, reason: 'missing' });
  });

  it('reports truncated, odd-length, non-hex or wrongly prefixed signatures as malformed', () => {
    const hex = signMetaBody(body, secret).slice('sha256='.length);
    const malformed = [
      `sha256=${hex.slice(0, 63)}`,
      `sha256=${hex.slice(0, 62)}`,
      `sha256=${hex}00`,
      `sha256=${hex.slice(0, 63)}g`,
      hex,
      `sha1=${hex}`,
      'sha256=',
      `sha256= ${hex}`,
      `sha256=${hex},sha256=${hex}`,
    ];
    for (const header of malformed) {
      expect(verifyMetaSignature(body, header, [secret]), header).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('never matches when no secret is configured', () => {
    expect(verifyMetaSignature(body, signMetaBody(body, secret), [])).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('never matches an empty configured secret, even against a body signed with the empty key', () => {
    expect(verifyMetaSignature(body, signMetaBody(body, ''), [''])).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyMetaSignature(body, signMetaBody(body, secret), ['', secret])).toEqual({
      ok: true,
      secretIndex: 1,
    });
  });

  it('verifies an empty body', () => {
    const empty = Buffer.alloc(0);
    expect(verifyMetaSignature(empty, signMetaBody(empty, secret), [secret])).toEqual({ ok: true, secretIndex: 0 });
  });

  it('checks the exact bytes, so re-serialised JSON with other spacing does not verify', () => {
    const header = signMetaBody(body, secret);
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(body.toString('utf8')), null, 1));
    expect(verifyMetaSignature(reserialised, header, [secret])).toEqual({ ok: false, reason: 'mismatch' });
  });
});

describe('verifySubscriptionHandshake', () => {
  const token = 'my-verify-token';
  const query = { 'hub.mode': 'subscribe', 'hub.challenge': '1158201444', 'hub.verify_token': token };

  it('returns the challenge when the verify token matches', () => {
    expect(verifySubscriptionHandshake(query, token)).toBe('1158201444');
  });

  it('accepts a query parsed into a nested hub object', () => {
    const nested = { hub: { mode: 'subscribe', challenge: 'abc-123', verify_token: token } };
    expect(verifySubscriptionHandshake(nested, token)).toBe('abc-123');
  });

  it('refuses a wrong verify token', () => {
    expect(verifySubscriptionHandshake({ ...query, 'hub.verify_token': 'guess' }, token)).toBeNull();
    expect(verifySubscriptionHandshake({ ...query, 'hub.verify_token': `${token}x` }, token)).toBeNull();
    expect(verifySubscriptionHandshake({ ...query, 'hub.verify_token': '' }, token)).toBeNull();
  });

  it('refuses every request when no verify token is configured', () => {
    expect(verifySubscriptionHandshake({ ...query, 'hub.verify_token': '' }, '')).toBeNull();
  });

  it('refuses a mode other than subscribe', () => {
    expect(verifySubscriptionHandshake({ ...query, 'hub.mode': 'unsubscribe' }, token)).toBeNull();
  });

  it('refuses a query with missing or repeated parameters', () => {
    const { 'hub.challenge': _challenge, ...withoutChallenge } = query;
    expect(verifySubscriptionHandshake(withoutChallenge, token)).toBeNull();
    expect(verifySubscriptionHandshake({ ...query, 'hub.verify_token': [token, token] }, token)).toBeNull();
    expect(verifySubscriptionHandshake(undefined, token)).toBeNull();
    expect(verifySubscriptionHandshake('hub.mode=subscribe', token)).toBeNull();
  });

  it('refuses a challenge that is empty, too long or could inject markup', () => {
    for (const challenge of ['', 'a'.repeat(1025), '<script>alert(1)</script>', 'a b', 'line\nbreak']) {
      expect(verifySubscriptionHandshake({ ...query, 'hub.challenge': challenge }, token)).toBeNull();
    }
  });
});

describe('constantTimeEqualStrings', () => {
  it('compares strings of any length by content', () => {
    expect(constantTimeEqualStrings('abc', 'abc')).toBe(true);
    expect(constantTimeEqualStrings('abc', 'abd')).toBe(false);
    expect(constantTimeEqualStrings('abc', 'abcd')).toBe(false);
    expect(constantTimeEqualStrings('', '')).toBe(true);
  });
});
