import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, setupAdmin, TEST_ORIGIN, type TestApp } from '../../../test/app.ts';
import { createAccount, createUser } from '../../../test/factories.ts';

const tokenOf = (url: string) => new URL(url).hash.slice(1);

describe('teammates: invitation links and password resets', () => {
  let t: TestApp;
  let clock = new Date('2026-07-01T09:00:00Z');
  let admin: { token: string };
  let owner: { token: string };
  let accountId: string;
  let otherAccountId: string;
  const sessions: Record<string, { token: string }> = {};

  beforeAll(async () => {
    t = await createTestApp({}, { now: () => clock });
    admin = await setupAdmin(t);
    const db = t.database.db;
    const people = Object.fromEntries(
      await Promise.all(['owner', 'helper', 'watcher', 'stranger'].map(async (name) => [name, await createUser(db, { username: name, password: `${name}-password` })] as const)),
    );
    const id = (name: string) => people[name]?.id ?? '';
    accountId = (await createAccount(db, { username: 'team_shop', members: [
      { userId: id('owner'), role: 'owner' }, { userId: id('helper'), role: 'admin' }, { userId: id('watcher'), role: 'viewer' },
    ] })).id;
    otherAccountId = (await createAccount(db, { username: 'other_shop', members: [{ userId: id('stranger'), role: 'owner' }] })).id;
    for (const name of ['owner', 'helper', 'watcher', 'stranger']) sessions[name] = await login(t, name, `${name}-password`);
    owner = sessions['owner'] ?? { token: '' };
  });
  afterAll(async () => t.close());

  const as = (name: string) => bearer(sessions[name]?.token ?? '');
  const invite = (headers: Record<string, string>, role: string, account = accountId) =>
    t.app.inject({ method: 'POST', url: `/api/v1/accounts/${account}/invitations`, headers, payload: { role } });
  const accept = (token: string, username: string, password = 'joiner-password') =>
    t.app.inject({ method: 'POST', url: '/api/v1/invitations/accept', payload: { token, username, password } });

  it('an owner makes a link; whoever opens it signs up with a password and joins with its role, once', async () => {
    const made = await invite(bearer(owner.token), 'admin');
    expect(made.statusCode).toBe(201);
    expect(made.json()).toMatchObject({ role: 'admin', status: 'pending', account_id: accountId });
    const url = made.json<{ url: string }>().url;
    expect(url).toMatch(new RegExp(`^${TEST_ORIGIN}/invite#[A-Za-z0-9_-]{40,}$`));
    const token = tokenOf(url);

    const preview = await t.app.inject({ method: 'POST', url: '/api/v1/invitations/lookup', payload: { token } });
    expect(preview.json()).toMatchObject({ account_username: 'team_shop', role: 'admin', oauth_signup: true });

    const joined = await accept(token, 'newcomer');
    expect(joined.statusCode).toBe(201);
    expect(joined.json()).toMatchObject({ username: 'newcomer', account_id: accountId });
    const mine = await t.app.inject({ method: 'GET', url: '/api/v1/accounts/me', headers: bearer(joined.json<{ token: string }>().token) });
    expect(mine.json()).toMatchObject({ accounts: [{ username: 'team_shop', role: 'admin' }] });
    await login(t, 'newcomer', 'joiner-password');

    const twice = await accept(token, 'second-comer');
    expect(twice.statusCode).toBe(400);
    expect(twice.json().error.code).toBe('invitations.invalid');
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/invitations/lookup', payload: { token } })).statusCode).toBe(400);
    const list = await t.app.inject({ method: 'GET', url: `/api/v1/accounts/${accountId}/invitations`, headers: bearer(owner.token) });
    expect(list.json().invitations[0]).toMatchObject({ status: 'used', used_by: 'newcomer', created_by: 'owner' });
    expect(list.body).not.toContain(token);
  });

  it('an expired link and a revoked link are refused with a clear error', async () => {
    const expiring = tokenOf((await t.app.inject({
      method: 'POST', url: `/api/v1/accounts/${accountId}/invitations`, headers: bearer(owner.token), payload: { role: 'viewer', expires_in_hours: 1 },
    })).json<{ url: string }>().url);
    clock = new Date(clock.getTime() + 2 * 3_600_000);
    expect((await accept(expiring, 'too-late')).json().error.code).toBe('invitations.invalid');

    const made = await invite(bearer(owner.token), 'viewer');
    const revoked = await t.app.inject({ method: 'DELETE', url: `/api/v1/accounts/${accountId}/invitations/${made.json().id}`, headers: bearer(owner.token) });
    expect(revoked.json()).toMatchObject({ status: 'revoked' });
    expect((await accept(tokenOf(made.json().url), 'revoked-joiner')).json().error.code).toBe('invitations.invalid');
    const again = await t.app.inject({ method: 'DELETE', url: `/api/v1/accounts/${accountId}/invitations/${made.json().id}`, headers: bearer(owner.token) });
    expect(again.statusCode).toBe(409);
  });

  it('roles hold: an admin invites viewers only, a viewer invites nobody, a stranger sees no account', async () => {
    expect((await invite(as('helper'), 'viewer')).statusCode).toBe(201);
    const adminRole = await invite(as('helper'), 'admin');
    expect(adminRole.statusCode).toBe(403);
    expect(adminRole.json().error.code).toBe('accounts.forbidden_role');
    expect((await invite(as('watcher'), 'viewer')).statusCode).toBe(403);
    expect((await invite(as('stranger'), 'viewer')).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/accounts/${accountId}/invitations`, headers: as('stranger') })).statusCode).toBe(404);
  });

  it('nobody revokes another account’s invitation through their own account', async () => {
    const theirs = await invite(as('stranger'), 'viewer', otherAccountId);
    const res = await t.app.inject({ method: 'DELETE', url: `/api/v1/accounts/${accountId}/invitations/${theirs.json().id}`, headers: bearer(owner.token) });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('invitations.not_found');
  });

  it('a taken username is refused and leaves the link usable', async () => {
    const token = tokenOf((await invite(bearer(owner.token), 'viewer')).json().url);
    const taken = await accept(token, 'OWNER');
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error.code).toBe('users.username_taken');
    expect((await accept(token, 'fresh-name')).statusCode).toBe(201);
  });

  it('instance invitations are made by administrators only and join no account', async () => {
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/admin/invitations', headers: bearer(owner.token), payload: {} })).statusCode).toBe(403);
    const made = await t.app.inject({ method: 'POST', url: '/api/v1/admin/invitations', headers: bearer(admin.token), payload: {} });
    expect(made.json()).toMatchObject({ account_id: null, role: null });
    const joined = await accept(tokenOf(made.json().url), 'solo-user');
    expect(joined.json()).toMatchObject({ account_id: null });
  });

  it('an administrator issues a one-time reset link: it sets the password and ends every session', async () => {
    const watcher = await login(t, 'watcher', 'watcher-password');
    const users = await t.app.inject({ method: 'GET', url: '/api/v1/admin/users', headers: bearer(admin.token) });
    const watcherId = users.json<{ users: { id: string; username: string }[] }>().users.find((u) => u.username === 'watcher')?.id;
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/admin/users/${watcherId}/password-reset`, headers: bearer(owner.token) })).statusCode).toBe(403);
    const first = await t.app.inject({ method: 'POST', url: `/api/v1/admin/users/${watcherId}/password-reset`, headers: bearer(admin.token) });
    const issued = await t.app.inject({ method: 'POST', url: `/api/v1/admin/users/${watcherId}/password-reset`, headers: bearer(admin.token) });
    expect(issued.statusCode).toBe(201);
    const token = tokenOf(issued.json<{ url: string }>().url);
    expect(issued.json().url).toContain('/reset-password#');

    const superseded = await t.app.inject({ method: 'POST', url: '/api/v1/password-resets/lookup', payload: { token: tokenOf(first.json().url) } });
    expect(superseded.json().error.code).toBe('password_resets.invalid');
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/password-resets/lookup', payload: { token } })).json()).toMatchObject({ username: 'watcher' });
    const reset = await t.app.inject({ method: 'POST', url: '/api/v1/password-resets/reset', payload: { token, new_password: 'brand-new-password' } });
    expect(reset.statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/ui/me', headers: bearer(watcher.token) })).statusCode).toBe(401);
    await login(t, 'watcher', 'brand-new-password');
    const old = await t.app.inject({ method: 'POST', url: '/api/v1/ui/session', payload: { username: 'watcher', password: 'watcher-password' } });
    expect(old.statusCode).toBe(401);
    const reused = await t.app.inject({ method: 'POST', url: '/api/v1/password-resets/reset', payload: { token, new_password: 'another-password' } });
    expect(reused.json().error.code).toBe('password_resets.invalid');
  });

  it('never writes a link token into the logs', async () => {
    const token = tokenOf((await invite(bearer(owner.token), 'viewer')).json().url);
    await t.app.inject({ method: 'POST', url: '/api/v1/invitations/lookup', payload: { token } });
    await t.app.inject({ method: 'GET', url: '/oauth/instagram/authorize', query: { invitation: token } });
    expect(t.logLines.join('\n')).not.toContain(token);
  });

  it('the hourly clean-up deletes password-reset links a day after they expired', async () => {
    const { passwordResets } = await import('../../db/schema/index.ts');
    expect((await t.database.db.select().from(passwordResets)).length).toBeGreaterThan(0);
    clock = new Date(clock.getTime() + 3 * 86_400_000);
    await t.services.teammatesRepo.deleteSpent(new Date(clock.getTime() - 86_400_000));
    expect(await t.database.db.select().from(passwordResets)).toEqual([]);
  });
});
