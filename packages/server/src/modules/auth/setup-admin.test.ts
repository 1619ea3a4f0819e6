import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestApp } from '../../../test/app.ts';

describe('first-run setup and user administration', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  it('offers setup while no user exists and creates the first user as an administrator', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/setup' })).json()).toEqual({ needs_setup: true, signup_mode: 'invite' });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/setup', payload: { username: 'founder', password: 'founder-password' } });
    expect(res.statusCode).toBe(201);
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/ui/me', headers: bearer(res.json().token) });
    expect(me.json()).toMatchObject({ username: 'founder', is_admin: true, has_password: true });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/setup' })).json()).toEqual({ needs_setup: false, signup_mode: 'invite' });
  });

  it('answers 409 to setup once a user exists, and creates nobody', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/setup', payload: { username: 'intruder', password: 'intruder-password' } });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('setup.already_done');
    const failed = await t.app.inject({ method: 'POST', url: '/api/v1/ui/session', payload: { username: 'intruder', password: 'intruder-password' } });
    expect(failed.statusCode).toBe(401);
  });

  it('lets an administrator create, list and disable users; a disabled user is signed out', async () => {
    const admin = await login(t, 'founder', 'founder-password');
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/users',
      headers: bearer(admin.token),
      payload: { username: 'agent1', password: 'agent-password' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ username: 'agent1', is_admin: false, disabled: false });
    expect(created.body).not.toContain('password_hash');
    const agent = await login(t, 'agent1', 'agent-password');

    const list = await t.app.inject({ method: 'GET', url: '/api/v1/admin/users', headers: bearer(admin.token) });
    expect(list.json().users.map((u: { username: string }) => u.username)).toEqual(['founder', 'agent1']);

    const disable = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/admin/users/${created.json().id}`,
      headers: bearer(admin.token),
      payload: { disabled: true },
    });
    expect(disable.json().disabled).toBe(true);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/ui/me', headers: bearer(agent.token) })).statusCode).toBe(401);
    const relogin = await t.app.inject({ method: 'POST', url: '/api/v1/ui/session', payload: { username: 'agent1', password: 'agent-password' } });
    expect(relogin.statusCode).toBe(401);
  });

  it('refuses user administration to a user who is not an administrator', async () => {
    const admin = await login(t, 'founder', 'founder-password');
    await t.app.inject({ method: 'POST', url: '/api/v1/admin/users', headers: bearer(admin.token), payload: { username: 'plain', password: 'plain-password' } });
    const plain = await login(t, 'plain', 'plain-password');
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/admin/users', headers: bearer(plain.token) });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('auth.admin_only');
  });

  it('refuses a duplicate username whatever its case', async () => {
    const admin = await login(t, 'founder', 'founder-password');
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/admin/users', headers: bearer(admin.token), payload: { username: 'PLAIN', password: 'other-password' } });
    expect(res.statusCode).toBe(409);
  });
});

describe('setup race', () => {
  it('creates exactly one administrator when two setups arrive at once', async () => {
    const t = await createTestApp();
    try {
      const results = await Promise.all(
        ['first', 'second', 'third'].map((username) =>
          t.app.inject({ method: 'POST', url: '/api/v1/setup', payload: { username, password: 'a-good-password' } }),
        ),
      );
      expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409, 409]);
    } finally {
      await t.close();
    }
  });
});
