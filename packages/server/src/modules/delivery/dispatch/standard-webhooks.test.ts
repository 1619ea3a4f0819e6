import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateWebhookSecret, isValidWebhookSecret, signStandardWebhook } from './standard-webhooks.ts';

const body = JSON.stringify({ type: 'message.created', data: { text: 'Hello, café ☕' } });

function signNow(secrets: string[], payload = body) {
  return signStandardWebhook({ id: 'msg_2s8fJ3kQ', timestamp: new Date(), body: payload, secrets });
}

describe('generateWebhookSecret', () => {
  it('makes whsec_ + base64 of 32 random bytes, different each time', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(secret);
    expect(isValidWebhookSecret(secret)).toBe(true);
  });
});

describe('signStandardWebhook', () => {
  it('verifies with a secret signed with before, also after more secrets than it keeps keys for', () => {
    const first = generateWebhookSecret();
    const verify = (secret: string) => {
      const headers = signNow([secret]);
      return new Webhook(secret).verify(body, headers);
    };
    expect(verify(first)).toEqual(JSON.parse(body));
    for (let i = 0; i < 1_050; i += 1) expect(verify(generateWebhookSecret())).toEqual(JSON.parse(body));
    expect(verify(first)).toEqual(JSON.parse(body));
    expect(() => signNow(['whsec_tooshort'])).toThrow('webhook secret #1');
    expect(() => signNow(['whsec_tooshort'])).toThrow('webhook secret #1');
  });

  it('produces the three headers, with the timestamp in unix seconds', () => {
    const headers = signStandardWebhook({
      id: 'msg_1',
      timestamp: new Date('2024-05-01T12:00:00.999Z'),
      body: '{}',
      secrets: [generateWebhookSecret()],
    });
    expect(Object.keys(headers).sort()).toEqual(['webhook-id', 'webhook-signature', 'webhook-timestamp']);
    expect(headers['webhook-id']).toBe('msg_1');
    expect(headers['webhook-timestamp']).toBe('1714564800');
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  });

  it('matches the HMAC-SHA256 of "id.timestamp.body" under the decoded key', () => {
    // the example published with the Standard Webhooks reference libraries: the expected value does not come from our code
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const headers = signStandardWebhook({
      id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      timestamp: new Date(1614265330_000),
      body: '{"test": 2432232314}',
      secrets: [secret],
    });
    expect(headers['webhook-signature']).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('is accepted by the standardwebhooks verifier', () => {
    const secret = generateWebhookSecret();
    const headers = signNow([secret]);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('signs with every secret during a rotation, and each secret alone verifies', () => {
    const current = generateWebhookSecret();
    const previous = generateWebhookSecret();
    const headers = signNow([current, previous]);
    expect(headers['webhook-signature']?.split(' ')).toHaveLength(2);
    expect(() => new Webhook(current).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(previous).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(generateWebhookSecret()).verify(body, headers)).toThrow();
  });

  it('fails verification when the body was tampered with', () => {
    const secret = generateWebhookSecret();
    const headers = signNow([secret]);
    const tampered = body.replace('Hello', 'Hullo');
    expect(() => new Webhook(secret).verify(tampered, headers)).toThrow(/signature/i);
  });

  it('fails verification when the id or timestamp was changed', () => {
    const secret = generateWebhookSecret();
    const headers = signNow([secret]);
    expect(() => new Webhook(secret).verify(body, { ...headers, 'webhook-id': 'msg_other' })).toThrow();
    const earlier = String(Number(headers['webhook-timestamp']) - 1);
    expect(() => new Webhook(secret).verify(body, { ...headers, 'webhook-timestamp': earlier })).toThrow();
  });

  it('refuses to sign without a secret, or with a malformed one, without echoing it', () => {
    expect(() => signNow([])).toThrow(/at least one secret/);
    expect(() => signNow([generateWebhookSecret(), 'whsec_not base64!'])).toThrow(
      'webhook secret #2 is not whsec_ + base64 of 24 to 64 bytes',
    );
    const error: unknown = (() => {
      try {
        signNow(['whsec_c2hvcnQ=']);
        return undefined;
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(Error);
    expect(String(error)).not.toContain('c2hvcnQ');
  });

  it('refuses an id that would break the header format and an invalid date', () => {
    const secrets = [generateWebhookSecret()];
    expect(() => signStandardWebhook({ id: 'a b', timestamp: new Date(), body, secrets })).toThrow(/webhook id/);
    expect(() => signStandardWebhook({ id: 'msg_1', timestamp: new Date(Number.NaN), body, secrets })).toThrow(/not a valid date/);
  });
});

describe('isValidWebhookSecret', () => {
  it('accepts a secret with or without the prefix, and refuses short or non-canonical ones', () => {
    const secret = generateWebhookSecret();
    expect(isValidWebhookSecret(secret.slice('whsec_'.length))).toBe(true);
    expect(isValidWebhookSecret('whsec_c2hvcnQ=')).toBe(false);
    expect(isValidWebhookSecret('whsec_')).toBe(false);
    expect(isValidWebhookSecret(`${secret}x`)).toBe(false);
  });
});
