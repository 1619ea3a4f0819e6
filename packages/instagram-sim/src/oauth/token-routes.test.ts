import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INSTAGRAM_LONG_LIVED_TOKEN_SECONDS } from '@threadline/contract';
import { graph, startSim } from '../../test/harness.ts';
import type { Harness } from '../../test/harness.ts';

const REDIRECT = 'https://threadline.test/oauth/callback';
const HOUR = 3_600_000;
let h: Harness;
beforeEach(async () => {
  h = await startSim();
});
afterEach(async () => h.close());

async function codeFor() {
  const app = await h.client.createApp({ redirectUris: [REDIRECT], secret: 'ig-app-secret' });
  const account = await h.client.createAccount({ username: 'acme' });
  const result = await h.client.authorize(h.client.authorizeUrl({ clientId: app.id, redirectUri: REDIRECT }));
  return { app, account, code: result.code ?? '' };
}
const fields = (appId: string, code: string, override: Record<string, string> = {}) => ({
  client_id: appId, client_secret: 'ig-app-secret', grant_type: 'authorization_code', redirect_uri: REDIRECT, code, ...override,
});
const exchangeUrl = (token: string, secret = 'ig-app-secret') =>
  `/access_token?grant_type=ig_exchange_token&client_secret=${secret}&access_token=${encodeURIComponent(token)}`;
const refreshUrl = (token: string) => `/refresh_access_token?grant_type=ig_refresh_token&access_token=${encodeURIComponent(token)}`;

describe('POST /oauth/access_token', () => {
  it('exchanges a code sent as url-encoded form for a short-lived token wrapped in data[]', async () => {
    const { app, code } = await codeFor();
    const res = await graph(h.url, '/oauth/access_token', { method: 'POST', form: fields(app.id, code) });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      data: [{ access_token: expect.stringMatching(/^IGAA/), user_id: expect.stringMatching(/^\d+$/), permissions: 'instagram_business_basic,instagram_business_manage_messages' }],
    });
  });

  it('accepts multipart form fields, as the docs send them with -F', async () => {
    const { app, code } = await codeFor();
    const res = await graph(h.url, '/oauth/access_token', { method: 'POST', multipart: fields(app.id, code) });
    expect(res.status).toBe(200);
  });

  it('answers the flat shape with user_id as a bare number above 2^53 when those variants are chosen', async () => {
    await h.client.setVariants({ tokenResponseShape: 'flat', tokenUserIdType: 'number', tokenUserId: 'ig-id' });
    const { app, account, code } = await codeFor();
    const res = await graph(h.url, '/oauth/access_token', { method: 'POST', form: fields(app.id, code) });
    expect(res.text).toContain(`"user_id":${account.igId}`);
    expect(BigInt(account.igId) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(res.body).toMatchObject({ access_token: expect.any(String), permissions: expect.any(String) });
  });

  it('gives the app-scoped id as user_id by default, not the IG_ID', async () => {
    const { app, account, code } = await codeFor();
    const res = await graph(h.url, '/oauth/access_token', { method: 'POST', form: fields(app.id, code) });
    expect(JSON.stringify(res.body)).not.toContain(account.igId);
  });

  it('accepts a code only once', async () => {
    const { app, code } = await codeFor();
    await graph(h.url, '/oauth/access_token', { method: 'POST', form: fields(app.id, code) });
    const again = await graph(h.url, '/oauth/access_token', { method: 'POST', form: fields(app.id, code) });
    expect(again.status).toBe(400);
    expect(again.body).toEqual({ error_type: 'OAuthException', code: 400, error_message: 'Matching code was not found or was already used' });
  });

  it('rejects a code older than one hour', async () => {
    const { app, code } = await codeFor();
    await h.client.advanceClock({ advanceMs: HOUR + 1000 });
    const res = await graph(h.url, '/oauth/access_token', { method: 'POST', form: fields(app.id, code) });
    expect(res.body).toMatchObject({ error_type: 'OAuthException', code: 400, error_message: 'This authorization code has expired' });
  });

  it.each([
    ['a wrong client_secret', { client_secret: 'nope' }, 'Error validating client secret.'],
    ['an unknown client_id', { client_id: '42' }, 'Invalid platform app'],
    ['another grant_type', { grant_type: 'client_credentials' }, 'Unsupported grant_type'],
    ['a redirect_uri not identical to the dialog one', { redirect_uri: `${REDIRECT}/` }, 'Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request'],
    ['a code with the #_ suffix left on', { code: 'SUFFIX' }, 'Matching code was not found or was already used'],
  ])('rejects %s in the OAuth error shape', async (_name, override, message) => {
    const { app, code } = await codeFor();
    const patch = 'code' in override && override.code === 'SUFFIX' ? { code: `${code}#_` } : override;
    const res = await graph(h.url, '/oauth/access_token', { method: 'POST', form: fields(app.id, code, patch) });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error_type: 'OAuthException', code: 400, error_message: message });
  });
});

async function shortToken() {
  const { app, account, code } = await codeFor();
  const res = await graph(h.url, '/oauth/access_token', { method: 'POST', form: fields(app.id, code) });
  const body = res.body;
  const token = typeof body === 'object' && body && 'data' in body && Array.isArray(body.data) ? String(body.data[0].access_token) : '';
  return { app, account, token };
}
const tokenOf = (body: unknown): string =>
  typeof body === 'object' && body && 'access_token' in body ? String(body.access_token) : '';

describe('GET /access_token (ig_exchange_token)', () => {
  it('exchanges a short-lived token for a bearer token valid about 60 days', async () => {
    const { token } = await shortToken();
    const res = await graph(h.url, exchangeUrl(token));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ access_token: expect.stringMatching(/^IGAA/), token_type: 'bearer', expires_in: INSTAGRAM_LONG_LIVED_TOKEN_SECONDS });
  });

  it('answers on the versioned path too', async () => {
    const { token } = await shortToken();
    const res = await graph(h.url, `/v25.0${exchangeUrl(token)}`);
    expect(res.status).toBe(200);
  });

  it('rejects an expired short-lived token with 190/463', async () => {
    const { token } = await shortToken();
    await h.client.advanceClock({ advanceHours: 1, advanceSeconds: 1 });
    const res = await graph(h.url, exchangeUrl(token));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { type: 'OAuthException', code: 190, error_subcode: 463, fbtrace_id: expect.any(String) } });
  });

  it('rejects a wrong client_secret', async () => {
    const { token } = await shortToken();
    const res = await graph(h.url, exchangeUrl(token, 'wrong'));
    expect(res.body).toMatchObject({ error: { code: 101, message: 'Error validating client secret.' } });
  });

  it('rejects an unknown token with 190', async () => {
    const res = await graph(h.url, exchangeUrl('IGAAnot-a-token'));
    expect(res.body).toMatchObject({ error: { code: 190, type: 'OAuthException' } });
  });
});

describe('GET /refresh_access_token (ig_refresh_token)', () => {
  async function longToken() {
    const { token } = await shortToken();
    return tokenOf((await graph(h.url, exchangeUrl(token))).body);
  }

  it('refuses a token younger than 24 hours', async () => {
    const long = await longToken();
    const res = await graph(h.url, refreshUrl(long));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 100, type: 'OAuthException' } });
  });

  it('refreshes a token at least 24 hours old into a new 60-day token carrying permissions', async () => {
    const long = await longToken();
    await h.client.advanceClock({ advanceDays: 1 });
    const res = await graph(h.url, refreshUrl(long));
    expect(res.body).toEqual({
      access_token: expect.stringMatching(/^IGAA/), token_type: 'bearer', expires_in: INSTAGRAM_LONG_LIVED_TOKEN_SECONDS,
      permissions: 'instagram_business_basic,instagram_business_manage_messages',
    });
    expect(tokenOf(res.body)).not.toBe(long);
  });

  it('cannot refresh a token that was not refreshed within 60 days: it is expired (190/463)', async () => {
    const long = await longToken();
    await h.client.advanceClock({ advanceDays: 61 });
    const res = await graph(h.url, refreshUrl(long));
    expect(res.body).toMatchObject({ error: { code: 190, error_subcode: 463 } });
  });

  it('refuses to refresh a short-lived token', async () => {
    const { token } = await shortToken();
    const res = await graph(h.url, refreshUrl(token));
    expect(res.body).toMatchObject({ error: { code: 100 } });
  });

  it('answers 190 with the revocation subcode once the user changed their password', async () => {
    const long = await longToken();
    const account = h.sim.state.token(long)?.accountId ?? '';
    await h.client.revokeTokens(account, { subcode: 460 });
    await h.client.advanceClock({ advanceDays: 2 });
    const res = await graph(h.url, refreshUrl(long));
    expect(res.body).toMatchObject({ error: { code: 190, error_subcode: 460 } });
  });
});
