import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accounts } from '../../src/db/schema/index.ts';
import { browserLogin, startOAuthWorld, type OAuthWorld } from '../../src/modules/oauth/oauth-test-world.ts';
import { bearer, setupAdmin, TEST_SESSION_SECRET } from '../app.ts';
import { APP_SECRET } from '../meta.ts';

// The grep every secret must pass: run the flows that carry them, then search everything Threadline logged.
describe('no secret reaches the logs', () => {
  let w: OAuthWorld;
  const secrets: Record<string, string> = {};
  beforeAll(async () => {
    w = await startOAuthWorld({ LOG_LEVEL: 'debug' });
  });
  afterAll(async () => w.close());

  it('sessions, passwords, OAuth codes and states, Meta tokens, API keys, invitation and reset links', async () => {
    const inject = w.t.app.inject.bind(w.t.app);
    secrets['admin password'] = 'correct horse battery';
    const admin = await setupAdmin(w.t, 'admin', secrets['admin password']);
    secrets['admin session'] = admin.token;
    await inject({ method: 'POST', url: '/api/v1/ui/session', payload: { username: 'admin', password: 'a wrong guess 123' } });
    secrets['wrong password'] = 'a wrong guess 123';

    const shop = await w.control.createAccount({ username: 'secret_shop' });
    const run = await browserLogin(w, { igId: shop.igId });
    secrets['oauth code'] = run.code ?? 'missing';
    secrets['oauth state'] = run.state ?? 'missing';
    secrets['meta session'] = run.sessionToken ?? 'missing';
    const [account] = await w.t.database.db.select().from(accounts).where(eq(accounts.igUserId, shop.igId));
    secrets['meta access token'] = w.t.vault.decrypt(account?.accessTokenEncrypted ?? '');
    const owner = bearer(run.sessionToken ?? '');

    const key = await inject({ method: 'POST', url: `/api/v1/accounts/${account?.id}/api-keys`, headers: owner, payload: { name: 'CRM', scopes: ['conversations:read'] } });
    secrets['api key'] = key.json<{ key: string }>().key;
    await inject({ method: 'GET', url: '/api/v1/conversations', headers: { 'x-api-key': secrets['api key'] } });

    const invitation = await inject({ method: 'POST', url: `/api/v1/accounts/${account?.id}/invitations`, headers: owner, payload: { role: 'viewer' } });
    secrets['invitation'] = new URL(invitation.json<{ url: string }>().url).hash.slice(1);
    await inject({ method: 'POST', url: '/api/v1/invitations/lookup', payload: { token: secrets['invitation'] } });
    await inject({ method: 'GET', url: '/oauth/instagram/authorize', query: { invitation: secrets['invitation'] } });
    const joined = await inject({ method: 'POST', url: '/api/v1/invitations/accept', payload: { token: secrets['invitation'], username: 'joiner', password: 'joiner-secret-pw' } });
    secrets['joiner password'] = 'joiner-secret-pw';
    secrets['joiner session'] = joined.json<{ token: string }>().token;

    const reset = await inject({ method: 'POST', url: `/api/v1/admin/users/${joined.json<{ user_id: string }>().user_id}/password-reset`, headers: bearer(admin.token) });
    secrets['reset link'] = new URL(reset.json<{ url: string }>().url).hash.slice(1);
    await inject({ method: 'POST', url: '/api/v1/password-resets/reset', payload: { token: secrets['reset link'], new_password: 'reset-secret-pw' } });
    secrets['reset password'] = 'reset-secret-pw';
    secrets['session secret'] = TEST_SESSION_SECRET;
    secrets['app secret'] = APP_SECRET;

    const logs = w.t.logLines.join('\n');
    expect(logs.length).toBeGreaterThan(1000);
    const leaked = Object.entries(secrets).filter(([, value]) => value.length >= 8 && logs.includes(value)).map(([name]) => name);
    expect(leaked).toEqual([]);
    expect(Object.values(secrets).every((v) => v !== 'missing' && v.length >= 8)).toBe(true);
  });
});
