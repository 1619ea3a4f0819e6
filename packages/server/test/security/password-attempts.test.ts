import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { bearer, createTestApp, login, setupAdmin, type TestApp } from '../app.ts';
import { createUser } from '../factories.ts';

// Counts the argon2 work the server does, so a test can prove how many attempts reached the hash.
const hashing = vi.hoisted(() => ({ hashes: 0, verifications: 0 }));
vi.mock('../../src/shared/crypto/password.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/shared/crypto/password.ts')>();
  return {
    ...real,
    hashPassword: async (plain: string) => {
      hashing.hashes += 1;
      return real.hashPassword(plain);
    },
    verifyPassword: async (stored: string, plain: string) => {
      hashing.verifications += 1;
      return real.verifyPassword(stored, plain);
    },
    verifyPasswordOrDummy: async (stored: string | null, plain: string) => {
      hashing.verifications += 1;
      return real.verifyPasswordOrDummy(stored, plain);
    },
  };
});

const LIMITS = {
  LOGIN_MAX_FAILURES_PER_USERNAME: '5',
  LOGIN_MAX_FAILURES_PER_IP: '12',
  LOGIN_FAILURE_WINDOW_SECONDS: '900',
  LOGIN_LOCKOUT_BASE_SECONDS: '30',
  LOGIN_LOCKOUT_MAX_SECONDS: '600',
  LOGIN_USERNAME_CEILING: '8',
  LOGIN_USERNAME_CEILING_SECONDS: '120',
};

describe('password attempts are reserved before the hash (login throttle, lockout)', () => {
  let t: TestApp;
  let clock = new Date('2026-06-01T10:00:00Z');
  const tick = (seconds: number) => {
    clock = new Date(clock.getTime() + seconds * 1000);
  };
  const attempt = (username: string, password: string, remoteAddress: string) =>
    t.app.inject({ method: 'POST', url: '/api/v1/ui/session', payload: { username, password }, remoteAddress });

  beforeAll(async () => {
    t = await createTestApp(LIMITS, { now: () => clock });
    await setupAdmin(t);
  });
  afterAll(async () => t.close());
  beforeEach(() => {
    hashing.verifications = 0;
    hashing.hashes = 0;
  });

  it('50 parallel wrong passwords for one user let at most the configured 5 reach the hash', async () => {
    await createUser(t.database.db, { username: 'raced', password: 'raced-password' });
    const results = await Promise.all(Array.from({ length: 50 }, () => attempt('raced', 'wrong-guess', '10.0.0.1')));
    const codes = results.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 401)).toHaveLength(5);
    expect(codes.filter((c) => c === 429)).toHaveLength(45);
    expect(hashing.verifications).toBe(5);
    expect(results.find((r) => r.statusCode === 429)?.json().error.code).toBe('auth.too_many_attempts');
  });

  it('50 parallel guesses sprayed over usernames from one address let at most the per-address limit through', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => attempt(`spray${i}`, 'wrong-guess', '10.0.0.2')));
    expect(results.filter((r) => r.statusCode === 401)).toHaveLength(12);
    expect(hashing.verifications).toBe(12);
  });

  it('locks a (username, address) pair with a delay that doubles, while the user still signs in from elsewhere', async () => {
    await createUser(t.database.db, { username: 'known', password: 'known-password' });
    for (let i = 0; i < 5; i += 1) expect((await attempt('known', 'guess', '10.0.0.3')).statusCode).toBe(401);
    const locked = await attempt('known', 'known-password', '10.0.0.3');
    expect(locked.statusCode).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBe(30);
    expect((await attempt('known', 'known-password', '10.0.0.4')).statusCode).toBe(200);

    tick(31);
    expect((await attempt('known', 'guess', '10.0.0.3')).statusCode).toBe(401);
    const longer = await attempt('known', 'guess', '10.0.0.3');
    expect(longer.statusCode).toBe(429);
    expect(Number(longer.headers['retry-after'])).toBe(60);
    tick(61);
    expect((await attempt('known', 'known-password', '10.0.0.3')).statusCode).toBe(200);
    // a success clears the pair: the next mistakes start from one again
    expect((await attempt('known', 'guess', '10.0.0.3')).statusCode).toBe(401);
  });

  it('a ceiling per username bounds guesses from many addresses, and lifts after its short window', async () => {
    await createUser(t.database.db, { username: 'famous', password: 'famous-password' });
    for (let i = 0; i < 8; i += 1) expect((await attempt('famous', 'guess', `10.1.0.${i}`)).statusCode).toBe(401);
    const everywhere = await attempt('famous', 'famous-password', '10.2.0.1');
    expect(everywhere.statusCode).toBe(429);
    expect(Number(everywhere.headers['retry-after'])).toBeLessThanOrEqual(120);
    tick(121);
    expect((await attempt('famous', 'famous-password', '10.2.0.1')).statusCode).toBe(200);
  });

  it('counts every IPv6 address of one /64 as one client', async () => {
    const results = [];
    for (let i = 1; i <= 13; i += 1) results.push((await attempt(`v6user${i}`, 'guess', `2001:db8:5:6::${i.toString(16)}`)).statusCode);
    expect(results.slice(0, 12).every((c) => c === 401)).toBe(true);
    expect(results[12]).toBe(429);
    expect((await attempt('v6user-other', 'guess', '2001:db8:5:7::1')).statusCode).toBe(401);
  });

  it('throttles the current-password check of a password change like a sign-in', async () => {
    await createUser(t.database.db, { username: 'changer', password: 'changer-password' });
    const session = await login(t, 'changer', 'changer-password');
    hashing.verifications = 0;
    const change = (current: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/ui/password',
        headers: bearer(session.token),
        payload: { current_password: current, new_password: 'a-new-password-9' },
        remoteAddress: '10.0.0.9',
      });
    const results = await Promise.all(Array.from({ length: 20 }, () => change('wrong-current')));
    expect(results.filter((r) => r.statusCode === 403)).toHaveLength(5);
    expect(results.filter((r) => r.statusCode === 429)).toHaveLength(15);
    expect(hashing.verifications).toBe(5);
  });

  it('replaces a hash made with weaker options at the next successful sign-in', async () => {
    const { hash } = await import('@node-rs/argon2');
    const { users } = await import('../../src/db/schema/index.ts');
    const { eq } = await import('drizzle-orm');
    const weak = await hash('legacy-password', { memoryCost: 8192, timeCost: 1, parallelism: 1 });
    const user = await createUser(t.database.db, { username: 'legacy' });
    await t.database.db.update(users).set({ passwordHash: weak }).where(eq(users.id, user.id));
    await login(t, 'legacy', 'legacy-password');
    const [row] = await t.database.db.select().from(users).where(eq(users.id, user.id));
    expect(row?.passwordHash).not.toBe(weak);
    expect(row?.passwordHash).toContain('m=19456,t=2,p=1');
    await login(t, 'legacy', 'legacy-password');
  });
});

describe('behind a proxy, a client is the address the trusted proxy saw (TRUST_PROXY)', () => {
  it('a guesser writing their own X-Forwarded-For entries is still one address; TRUST_PROXY=true is refused', async () => {
    const t = await createTestApp({ ...LIMITS, LOGIN_MAX_FAILURES_PER_IP: '3', TRUST_PROXY: '1' });
    try {
      // nginx appends the address it saw (203.0.113.7) to whatever the client sent
      const viaProxy = (i: number, seen: string) =>
        t.app.inject({
          method: 'POST',
          url: '/api/v1/ui/session',
          payload: { username: `proxied${i}`, password: 'wrong-guess' },
          remoteAddress: '127.0.0.1',
          headers: { 'x-forwarded-for': `198.51.100.${i}, ${seen}` },
        });
      const codes = [];
      for (let i = 1; i <= 4; i += 1) codes.push((await viaProxy(i, '203.0.113.7')).statusCode);
      expect(codes).toEqual([401, 401, 401, 429]);
      expect((await viaProxy(5, '203.0.113.8')).statusCode).toBe(401);
    } finally {
      await t.close();
    }
    const { loadConfig } = await import('../../src/config.ts');
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY: "true" would trust every hop/);
  });
});

describe('first-run setup does no hashing for anyone once set up', () => {
  beforeEach(() => {
    hashing.hashes = 0;
  });

  it('before setup, parallel attempts from one address are throttled; one administrator is made', async () => {
    const t = await createTestApp({ ...LIMITS, LOGIN_MAX_FAILURES_PER_IP: '4' });
    try {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          t.app.inject({ method: 'POST', url: '/api/v1/setup', payload: { username: `founder${i}`, password: 'a-good-password' }, remoteAddress: '10.3.0.1' }),
        ),
      );
      const codes = results.map((r) => r.statusCode);
      expect(codes.filter((c) => c === 201)).toHaveLength(1);
      expect(codes.filter((c) => c === 429).length).toBeGreaterThanOrEqual(16);
      expect(hashing.hashes).toBeLessThanOrEqual(4);
    } finally {
      await t.close();
    }
  });

  it('once a user exists, setup answers 409 without hashing and without counting against the address', async () => {
    const t = await createTestApp(LIMITS);
    try {
      await setupAdmin(t);
      hashing.hashes = 0;
      const results = await Promise.all(
        Array.from({ length: 40 }, () => t.app.inject({ method: 'POST', url: '/api/v1/setup', payload: { username: 'again', password: 'a-good-password' }, remoteAddress: '10.3.0.2' })),
      );
      expect(results.every((r) => r.statusCode === 409 && r.json().error.code === 'setup.already_done')).toBe(true);
      expect(hashing.hashes).toBe(0);
    } finally {
      await t.close();
    }
  });
});
