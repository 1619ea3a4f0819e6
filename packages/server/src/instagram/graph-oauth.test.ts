import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { INSTAGRAM_LONG_LIVED_TOKEN_SECONDS } from '@threadline/contract';
import { classifyGraphError, GraphApiError, GraphClientConfigError } from './graph-client.ts';
import type { GraphClient } from './graph-client.ts';
import { stripCodeFragment } from './graph-oauth.ts';
import { APP_SECRET, clientFor, REDIRECT_URI, startSim } from './graph-test-world.ts';
import type { SimHarness } from './graph-test-world.ts';

const SCOPES = ['instagram_business_basic', 'instagram_business_manage_messages'];
let h: SimHarness;
beforeEach(async () => {
  h = await startSim();
});
afterEach(async () => h.close());

async function setup(overrides: Parameters<typeof clientFor>[1] = {}) {
  const app = await h.control.createApp({ redirectUris: [REDIRECT_URI], secret: APP_SECRET });
  const account = await h.control.createAccount({ username: 'acme_shop' });
  const client = clientFor(h.url, { clientId: app.id, clientSecret: APP_SECRET, ...overrides });
  return { app, account, client };
}

async function consent(client: GraphClient, state = 'csrf-state-1') {
  const url = client.buildAuthorizeUrl({ redirectUri: REDIRECT_URI, scopes: SCOPES, state });
  const result = await h.control.authorize(url);
  if (!result.code) throw new Error(`no code in ${result.location}`);
  return { url, ...result, code: result.code };
}

describe('buildAuthorizeUrl', () => {
  it('builds a consent URL the platform accepts, with exactly the documented parameters', async () => {
    const { app, client } = await setup();
    const { url, state, location } = await consent(client);
    const params = new URL(url).searchParams;
    expect(Object.fromEntries(params)).toEqual({
      client_id: app.id,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'instagram_business_basic,instagram_business_manage_messages',
      state: 'csrf-state-1',
    });
    expect(state).toBe('csrf-state-1');
    expect(location.endsWith('#_')).toBe(true);
  });

  it('refuses to build a URL without the Instagram app id', () => {
    const client = clientFor(h.url);
    expect(() => client.buildAuthorizeUrl({ redirectUri: REDIRECT_URI, scopes: SCOPES, state: 's' })).toThrow(GraphClientConfigError);
  });
});

describe('exchangeCode', () => {
  it('exchanges a code for a short-lived token from the documented data[] answer', async () => {
    const { account, client } = await setup();
    const { code } = await consent(client);
    const result = await client.exchangeCode({ code, redirectUri: REDIRECT_URI });
    expect(result.accessToken).toMatch(/^IGAA/);
    expect(result.userId).toMatch(/^\d+$/);
    expect(result.userId).not.toBe(account.igId);
    expect(result.permissions).toEqual(SCOPES);
  });

  it('reads the flat answer too', async () => {
    await h.control.setVariants({ tokenResponseShape: 'flat' });
    const { client } = await setup();
    const { code } = await consent(client);
    const result = await client.exchangeCode({ code, redirectUri: REDIRECT_URI });
    expect(result.accessToken).toMatch(/^IGAA/);
    expect(result.permissions).toEqual(SCOPES);
  });

  it('keeps a numeric user_id above 2^53 exact, as a string', async () => {
    await h.control.setVariants({ tokenResponseShape: 'flat', tokenUserIdType: 'number', tokenUserId: 'ig-id' });
    const { account, client } = await setup();
    expect(BigInt(account.igId) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    const { code } = await consent(client);
    const result = await client.exchangeCode({ code, redirectUri: REDIRECT_URI });
    expect(result.userId).toBe(account.igId);
  });

  it('strips the trailing #_ that Meta appends to the code', async () => {
    const { client } = await setup();
    const { code } = await consent(client);
    const result = await client.exchangeCode({ code: `${code}#_`, redirectUri: REDIRECT_URI });
    expect(result.accessToken).toMatch(/^IGAA/);
    expect(stripCodeFragment('abc#_')).toBe('abc');
    expect(stripCodeFragment(' abc ')).toBe('abc');
  });

  it('turns the OAuth error shape of a reused code into a permanent GraphApiError', async () => {
    const { client } = await setup();
    const { code } = await consent(client);
    await client.exchangeCode({ code, redirectUri: REDIRECT_URI });
    const error = await client.exchangeCode({ code, redirectUri: REDIRECT_URI }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphApiError);
    expect(error).toMatchObject({
      failure: 'oauth', httpStatus: 400, code: 400, type: 'OAuthException',
      message: 'Matching code was not found or was already used',
    });
    expect(classifyGraphError(error)).toBe('permanent');
  });

  it('is rejected for a redirect URI other than the one of the consent', async () => {
    const { client } = await setup();
    const { code } = await consent(client);
    await expect(client.exchangeCode({ code, redirectUri: `${REDIRECT_URI}/other` })).rejects.toMatchObject({ failure: 'oauth' });
  });

  it('needs the app secret', async () => {
    const { client } = await setup({ clientSecret: '' });
    await expect(client.exchangeCode({ code: 'x', redirectUri: REDIRECT_URI })).rejects.toBeInstanceOf(GraphClientConfigError);
  });
});

describe('long-lived tokens', () => {
  it('exchanges a short-lived token for a 60-day one and reports when it expires', async () => {
    const { client } = await setup();
    const { code } = await consent(client);
    const short = await client.exchangeCode({ code, redirectUri: REDIRECT_URI });
    const before = Date.now();
    const long = await client.exchangeForLongLived(short.accessToken);
    expect(long.accessToken).not.toBe(short.accessToken);
    expect(long.expiresIn).toBe(INSTAGRAM_LONG_LIVED_TOKEN_SECONDS);
    expect(long.expiresAt.getTime()).toBeGreaterThanOrEqual(before + INSTAGRAM_LONG_LIVED_TOKEN_SECONDS * 1000);
  });

  it('rejects the exchange with a wrong app secret as a permanent Graph error', async () => {
    const { app, client } = await setup();
    const { code } = await consent(client);
    const short = await client.exchangeCode({ code, redirectUri: REDIRECT_URI });
    const wrong = clientFor(h.url, { clientId: app.id, clientSecret: 'not-the-secret' });
    const error = await wrong.exchangeForLongLived(short.accessToken).catch((e: unknown) => e);
    expect(error).toMatchObject({ failure: 'graph', code: 101 });
    expect(classifyGraphError(error)).toBe('permanent');
  });

  it('refreshes a long-lived token once it is a day old, with its permissions', async () => {
    const { app, account, client } = await setup();
    const { access_token: token } = await h.control.issueToken({ appId: app.id, accountId: account.igId });
    await h.control.advanceClock({ advanceDays: 1 });
    const fresh = await client.refreshLongLived(token);
    expect(fresh.accessToken).not.toBe(token);
    expect(fresh.expiresIn).toBe(INSTAGRAM_LONG_LIVED_TOKEN_SECONDS);
    expect(fresh.permissions).toEqual(SCOPES);
  });

  it('reports permissions as null when the refresh answer leaves them out', async () => {
    await h.control.setVariants({ refreshIncludesPermissions: false });
    const { app, account, client } = await setup();
    const { access_token: token } = await h.control.issueToken({ appId: app.id, accountId: account.igId });
    await h.control.advanceClock({ advanceDays: 1 });
    expect((await client.refreshLongLived(token)).permissions).toBeNull();
  });

  it('classifies the refresh of a revoked token as reauth', async () => {
    const { app, account, client } = await setup();
    const { access_token: token } = await h.control.issueToken({ appId: app.id, accountId: account.igId });
    await h.control.revokeTokens(account.igId, { subcode: 460 });
    const error = await client.refreshLongLived(token).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 190, subcode: 460 });
    expect(classifyGraphError(error)).toBe('reauth');
  });
});

describe('logging', () => {
  it('logs method, path, status and duration of a full login, and never a token, secret or code', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const { client } = await setup({ log: pino({ level: 'trace' }, sink) });
    const { code } = await consent(client);
    const short = await client.exchangeCode({ code, redirectUri: REDIRECT_URI });
    const long = await client.exchangeForLongLived(short.accessToken);
    const me = await client.getMe(long.accessToken);
    await client.exchangeCode({ code, redirectUri: REDIRECT_URI }).catch(() => undefined);
    await client.exchangeForLongLived('IGAA-not-a-real-token').catch(() => undefined);
    const output = lines.join('');
    expect(me.username).toBe('acme_shop');
    for (const secret of [code, short.accessToken, long.accessToken, APP_SECRET, 'IGAA-not-a-real-token'])
      expect(output).not.toContain(secret);
    expect(output).not.toContain('?');
    const entries = lines.map((line) => JSON.parse(line));
    expect(entries.map((e) => [e.method, e.path, e.status])).toEqual([
      ['POST', '/oauth/access_token', 200],
      ['GET', '/access_token', 200],
      ['GET', '/v25.0/me', 200],
      ['POST', '/oauth/access_token', 400],
      ['GET', '/access_token', 400],
    ]);
    expect(entries.every((e) => typeof e.durationMs === 'number' && e.module === 'instagram-graph')).toBe(true);
  });
});
