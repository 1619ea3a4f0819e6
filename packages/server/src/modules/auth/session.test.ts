import { SignJWT, decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, setupAdmin, TEST_ORIGIN, TEST_SESSION_SECRET, type TestApp } from '../../../test/app.ts';
import { createAccount, createUser } from '../../../test/factories.ts';
import { deriveKey } from '../../shared/crypto/key-derivation.ts';
import { sha256Hex } from '../../shared/crypto/random.ts';

const jwtKey = deriveKey(TEST_SESSION_SECRET, 'session-jwt');
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

async function sign(payload: Record<string, unknown>, key: Uint8Array = jwtKey, alg = 'HS256') {
  return new SignJWT(payload).setProtectedHeader({ alg }).sign(key);
}

describe('UI sessions', () => {
  let t: TestApp;
  let adminId: string;
  beforeAll(async () => {
    t = await createTestApp();
    adminId = (await setupAdmin(t)).user_id;
  });
  afterAll(async () => t.close());

  const me = (headers: Record<string, string>) => t.app.inject({ method: 'GET', url: '/api/v1/ui/me', headers });

  it('signs in with username and password and answers the original contract', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/ui/session',
      payload: { username: 'admin', password: 'correct horse battery' },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['account_id', 'expires_in', 'token', 'user_id', 'username']);
    expect(body).toMatchObject({ account_id: null, user_id: adminId, username: 'admin', expires_in: 86400 });
    const payload = decodeJwt(body.token);
    expect(Object.keys(payload).sort()).toEqual(['account_id', 'exp', 'type', 'user_id', 'username']);
    expect(payload.type).toBe('ui_session');
    expect(payload.exp).toBeGreaterThan(Date.now() / 1000 + 86_000);
  });

  it('puts the primary account into the session, else the first linked one', async () => {
    const user = await createUser(t.database.db, { username: 'multi', password: 'password-multi' });
    const first = await createAccount(t.database.db, { members: [{ userId: user.id, role: 'owner' }] });
    expect((await login(t, 'multi', 'password-multi')).account_id).toBe(first.id);
    const primary = await createAccount(t.database.db, { members: [{ userId: user.id, role: 'viewer', isPrimary: true }] });
    expect((await login(t, 'Multi', 'password-multi')).account_id).toBe(primary.id);
  });

  it('answers a wrong username and a wrong password alike', async () => {
    const a = await t.app.inject({ method: 'POST', url: '/api/v1/ui/session', payload: { username: 'nobody', password: 'whatever1' } });
    const b = await t.app.inject({ method: 'POST', url: '/api/v1/ui/session', payload: { username: 'admin', password: 'whatever1' } });
    expect(a.statusCode).toBe(401);
    expect(b.statusCode).toBe(401);
    expect(a.json().error).toEqual(b.json().error);
  });

  it('refuses a request without a token with "Missing session token"', async () => {
    const res = await me({});
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: { message: 'Missing session token' }, request_id: expect.any(String) });
  });

  it('refuses a token of another type with "Invalid token type"', async () => {
    const token = await sign({ account_id: null, user_id: adminId, username: 'admin', exp: inAnHour(), type: 'refresh' });
    const res = await me(bearer(token));
    expect(res.statusCode).toBe(401);
    expect(res.json().error.message).toBe('Invalid token type');
  });

  it('refuses an expired token with "Session expired"', async () => {
    const token = await sign({ account_id: null, user_id: adminId, username: 'admin', exp: Math.floor(Date.now() / 1000) - 10, type: 'ui_session' });
    const res = await me(bearer(token));
    expect(res.statusCode).toBe(401);
    expect(res.json().error.message).toBe('Session expired');
  });

  it('refuses a token signed with another key with "Invalid session token"', async () => {
    const token = await sign(
      { account_id: null, user_id: adminId, username: 'admin', exp: inAnHour(), type: 'ui_session' },
      deriveKey('another-secret-another-secret-another-secret', 'session-jwt'),
    );
    const res = await me(bearer(token));
    expect(res.statusCode).toBe(401);
    expect(res.json().error.message).toBe('Invalid session token');
  });

  it('refuses an unsigned token (alg none) and garbage with "Invalid session token"', async () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ account_id: null, user_id: adminId, username: 'admin', exp: inAnHour(), type: 'ui_session' })}.`;
    for (const token of [none, 'not-a-jwt', 'a.b.c']) {
      const res = await me(bearer(token));
      expect(res.statusCode).toBe(401);
      expect(res.json().error.message).toBe('Invalid session token');
    }
  });

  it('refuses a correctly signed token that was never issued', async () => {
    const token = await sign({ account_id: null, user_id: adminId, username: 'admin', exp: inAnHour(), type: 'ui_session' });
    const res = await me(bearer(token));
    expect(res.statusCode).toBe(401);
    expect(res.json().error.message).toBe('Invalid session token');
  });

  it('refuses a token whose session belongs to another user', async () => {
    const other = await createUser(t.database.db, { username: 'someone_else' });
    const token = await sign({ account_id: null, user_id: adminId, username: 'admin', exp: inAnHour(), type: 'ui_session' });
    // the session row of this very token names another user (the session and its user are read in one statement)
    await t.services.authRepo.insertSession({ tokenHash: sha256Hex(token), userId: other.id, expiresAt: new Date(Date.now() + 3_600_000) });
    const res = await me(bearer(token));
    expect(res.statusCode).toBe(401);
    expect(res.json().error.message).toBe('Invalid session token');
  });

  it('stops a token working at once after logout', async () => {
    const { token } = await login(t, 'admin', 'correct horse battery');
    expect((await me(bearer(token))).statusCode).toBe(200);
    const out = await t.app.inject({ method: 'DELETE', url: '/api/v1/ui/session', headers: bearer(token) });
    expect(out.statusCode).toBe(200);
    const after = await me(bearer(token));
    expect(after.statusCode).toBe(401);
    expect(after.json().error.message).toBe('Session expired');
  });

  it('ends the other sessions of a user who changes the password, and keeps the current one', async () => {
    await createUser(t.database.db, { username: 'changer', password: 'old-password-1' });
    const a = await login(t, 'changer', 'old-password-1');
    const b = await login(t, 'changer', 'old-password-1');
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/ui/password',
      headers: bearer(a.token),
      payload: { current_password: 'old-password-1', new_password: 'new-password-2' },
    });
    expect(res.statusCode).toBe(200);
    expect((await me(bearer(a.token))).statusCode).toBe(200);
    expect((await me(bearer(b.token))).statusCode).toBe(401);
    await login(t, 'changer', 'new-password-2');
  });

  it('delivers the session in an HttpOnly SameSite=Lax cookie that authenticates same-origin requests', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/ui/session', payload: { username: 'admin', password: 'correct horse battery' } });
    const cookie = res.cookies.find((c) => c.name === 'threadline_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    const cookies = { threadline_session: cookie?.value ?? '' };
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/ui/me', cookies })).statusCode).toBe(200);
    const crossSite = await t.app.inject({ method: 'DELETE', url: '/api/v1/ui/session', cookies, headers: { origin: 'https://evil.example' } });
    expect(crossSite.statusCode).toBe(403);
    expect(crossSite.json().error.code).toBe('auth.csrf');
    const noProof = await t.app.inject({ method: 'DELETE', url: '/api/v1/ui/session', cookies });
    expect(noProof.statusCode).toBe(403);
    const sameOrigin = await t.app.inject({ method: 'DELETE', url: '/api/v1/ui/session', cookies, headers: { origin: TEST_ORIGIN } });
    expect(sameOrigin.statusCode).toBe(200);
  });

  it('rate-limits repeated failures for one username', async () => {
    await createUser(t.database.db, { username: 'target', password: 'target-password' });
    const attempt = (password: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/ui/session', payload: { username: 'target', password }, remoteAddress: '10.9.9.9' });
    for (let i = 0; i < 5; i += 1) expect((await attempt('bad-guess')).statusCode).toBe(401);
    const blocked = await attempt('target-password');
    expect(blocked.statusCode).toBe(429);
    expect(blocked.headers['retry-after']).toBeDefined();
    expect(blocked.json().error.code).toBe('auth.too_many_attempts');
  });

  it('rate-limits repeated failures from one address across usernames', async () => {
    const attempt = (username: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/ui/session', payload: { username, password: 'nope-nope' }, remoteAddress: '10.1.2.3' });
    for (let i = 0; i < 30; i += 1) expect((await attempt(`spray${i}`)).statusCode).toBe(401);
    expect((await attempt('spray-final')).statusCode).toBe(429);
  });

  it('cookies are __Host- prefixed and Secure when the public URL is https', async () => {
    const secure = await createTestApp({ PUBLIC_BASE_URL: 'https://inbox.example.com' });
    try {
      const res = await secure.app.inject({ method: 'POST', url: '/api/v1/setup', headers: { origin: 'https://inbox.example.com' }, payload: { username: 'root', password: 'long enough pw' } });
      expect(res.statusCode).toBe(201);
      const cookie = res.cookies.find((c) => c.name === '__Host-threadline_session');
      expect(cookie).toMatchObject({ secure: true, httpOnly: true, path: '/' });
    } finally {
      await secure.close();
    }
  });

  it('never writes a token or password into the logs', async () => {
    const { token } = await login(t, 'admin', 'correct horse battery');
    await me(bearer(token));
    const logs = t.logLines.join('\n');
    expect(logs).not.toContain(token);
    expect(logs).not.toContain('correct horse battery');
  });
});
