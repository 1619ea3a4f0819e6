import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../../../../test/app.ts';
import { startReceiver, type Receiver } from '../../../shared/net/test-receivers.ts';
import { createCrmFixture, type CrmFixture } from '../crm-test-helpers.ts';

describe('CRM settings', () => {
  let f: CrmFixture;
  let receiver: Receiver;
  beforeAll(async () => {
    f = await createCrmFixture();
    receiver = await startReceiver((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('pong from the CRM'));
  });
  afterAll(async () => {
    await receiver.close();
    await f.t.close();
  });

  it('sets a CRM URL and generates a whsec_ secret that owners can read', async () => {
    const res = await f.setUrl(`${receiver.url}/hooks/threadline`);
    expect(res.statusCode).toBe(200);
    expect(res.json().crm).toMatchObject({ webhook_url: `${receiver.url}/hooks/threadline`, enabled: true, has_secret: true });
    const secret = await f.secret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
  });

  it('keeps the secret when the URL changes, and never shows it in settings or logs', async () => {
    const before = await f.secret();
    const res = await f.setUrl(`${receiver.url}/other`);
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain(before);
    expect(await f.secret()).toBe(before);
    expect(f.t.logLines.join('\n')).not.toContain(before.slice(6));
  });

  it('lets a viewer neither change the URL nor read the secret, and hides the account from strangers', async () => {
    const patch = (token: string) =>
      f.t.app.inject({ method: 'PATCH', url: `/api/v1/accounts/${f.accountId}`, headers: bearer(token), payload: { crm_webhook_url: null } });
    expect((await patch(f.viewerToken)).statusCode).toBe(403);
    expect((await patch(f.strangerToken)).statusCode).toBe(404);
    const read = await f.t.app.inject({ method: 'GET', url: `/api/v1/accounts/${f.accountId}/webhook-secret`, headers: bearer(f.viewerToken) });
    expect(read.statusCode).toBe(403);
  });

  it.each([
    ['a loopback literal outside the allowed networks', 'http://127.0.0.2/hook', 'loopback'],
    ['a private literal', 'http://10.0.0.5/hook', 'private-network'],
    ['the cloud metadata address', 'http://169.254.169.254/latest/meta-data', 'metadata'],
    ['an IPv4-mapped IPv6 loopback', 'http://[::ffff:127.0.0.2]/hook', 'loopback'],
    ['IPv6 loopback', 'http://[::1]/hook', 'loopback'],
    ['a decimal IP form', 'http://2130706434/hook', '127.0.0.2'],
    ['an octal IP form', 'http://0177.0.0.2/hook', '127.0.0.2'],
    ['the unspecified address', 'http://0.0.0.0/hook', 'unspecified'],
    ['a CGNAT address', 'http://100.64.1.1/hook', 'carrier-grade'],
  ])('refuses %s on save, saying why', async (_name, url, words) => {
    const res = await f.setUrl(url);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('crm.url_forbidden_address');
    expect(res.json().error.message).toContain(words);
    expect(res.json().error.message).toContain('CRM_ALLOWED_NETWORKS');
  });

  it('refuses a URL that is not http(s), or carries a password', async () => {
    expect((await f.setUrl('ftp://crm.example.test/x')).json().error.code).toBe('crm.url_scheme');
    expect((await f.setUrl('https://user:pw@crm.example.test/x')).json().error.code).toBe('crm.url_credentials');
    expect((await f.setUrl('not a url')).json().error.code).toBe('crm.url_invalid');
  });

  it('sends a signed ping on test and returns what the receiver answered', async () => {
    await f.setUrl(`${receiver.url}/ping`);
    const res = await f.t.app.inject({ method: 'POST', url: `/api/v1/accounts/${f.accountId}/crm/test`, headers: bearer(f.ownerToken) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ success: true, status_code: 200, response_body: 'pong from the CRM', error: null });
    const last = receiver.received.at(-1);
    expect(JSON.parse(last?.body ?? '{}')).toMatchObject({ type: 'ping', id: res.json().delivery_id });
    expect(last?.headers['webhook-signature']).toMatch(/^v1,/);
  });

  it('rotates the secret, keeping the previous one valid during the overlap', async () => {
    const before = await f.secret();
    const res = await f.t.app.inject({ method: 'POST', url: `/api/v1/accounts/${f.accountId}/webhook-secret/rotate`, headers: bearer(f.ownerToken) });
    expect(res.statusCode).toBe(200);
    expect(res.json().secret).not.toBe(before);
    expect(res.json().previous_secret).toBe(before);
    expect(new Date(res.json().previous_valid_until).getTime()).toBeGreaterThan(Date.now() + 23 * 3_600_000);
  });

  it('clears the URL and stops forwarding', async () => {
    const res = await f.setUrl(null);
    expect(res.statusCode).toBe(200);
    expect(res.json().crm).toMatchObject({ webhook_url: null, enabled: false });
    const test = await f.t.app.inject({ method: 'POST', url: `/api/v1/accounts/${f.accountId}/crm/test`, headers: bearer(f.ownerToken) });
    expect(test.statusCode).toBe(409);
  });
});

describe('CRM settings without an allowlist', () => {
  it('refuses a host name that resolves to a loopback address', async () => {
    const closed = await createCrmFixture({ CRM_ALLOWED_NETWORKS: '' });
    try {
      const res = await closed.setUrl('http://localhost:9/hook');
      expect(res.statusCode).toBe(400);
      expect(res.json().error.message).toBe('localhost resolves to a private address; set CRM_ALLOWED_NETWORKS to allow it');
      // which address, the log says; the caller is not told
      expect(res.body).not.toContain('127.0.0.1');
      expect(closed.t.logLines.join('\n')).toMatch(/"resolvedAddress":"(127\.0\.0\.1|::1)"/);
    } finally {
      await closed.t.close();
    }
  });

  it('requires https CRM URLs unless CRM_ALLOW_HTTP is set', async () => {
    const strict = await createCrmFixture({ PUBLIC_BASE_URL: 'https://threadline.example.test' });
    try {
      const res = await strict.setUrl('http://127.0.0.1:9/hook');
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('crm.url_scheme');
    } finally {
      await strict.t.close();
    }
  });
});
