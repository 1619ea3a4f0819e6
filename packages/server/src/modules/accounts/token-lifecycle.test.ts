import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../../../test/app.ts';
import { accounts } from '../../db/schema/index.ts';
import { browserLogin, startOAuthWorld, type OAuthWorld } from '../oauth/oauth-test-world.ts';

const DAY = 86_400_000;

describe('tokens that never lapse', () => {
  let w: OAuthWorld;
  beforeAll(async () => {
    w = await startOAuthWorld();
  });
  afterAll(async () => w.close());

  const accountByIg = async (igId: string) => (await w.t.database.db.select().from(accounts).where(eq(accounts.igUserId, igId)))[0];

  it('leaves a token alone while it is far from expiry, and refreshes it once the simulated clock moved 40 days', async () => {
    const shop = await w.control.createAccount({ username: 'refresh_shop' });
    await browserLogin(w, { igId: shop.igId });
    const before = await accountByIg(shop.igId);
    expect(await w.t.services.tokenRefresh.runOnce()).toEqual({ refreshed: 0, reauthRequired: 0, failed: 0 });

    await w.control.advanceClock({ advanceDays: 40 });
    expect(await w.t.services.tokenRefresh.runOnce()).toEqual({ refreshed: 1, reauthRequired: 0, failed: 0 });
    const after = await accountByIg(shop.igId);
    const oldToken = w.t.vault.decrypt(before?.accessTokenEncrypted ?? '');
    const newToken = w.t.vault.decrypt(after?.accessTokenEncrypted ?? '');
    expect(newToken).not.toBe(oldToken);
    const daysLeft = ((after?.tokenExpiresAt?.getTime() ?? 0) - w.sim.clock.now()) / DAY;
    expect(daysLeft).toBeGreaterThan(59);
    expect(after?.tokenIssuedAt?.getTime()).toBeGreaterThan(before?.tokenIssuedAt?.getTime() ?? Infinity);
    // The refreshed token works; a second run the same day refreshes nothing.
    expect((await w.t.services.graph.getMe(newToken)).userId).toBe(shop.igId);
    expect((await w.t.services.tokenRefresh.runOnce()).refreshed).toBe(0);
  });

  it('moves an account whose token Meta revoked (190) to reauth_required, shows it, tells the CRM, and a relink restores it', async () => {
    const shop = await w.control.createAccount({ username: 'revoked_shop' });
    await browserLogin(w, { igId: shop.igId });
    const account = await accountByIg(shop.igId);
    await w.control.revokeTokens(shop.igId, { subcode: 460 });
    await w.control.advanceClock({ advanceDays: 40 });

    const report = await w.t.services.tokenRefresh.runOnce();
    expect(report.reauthRequired).toBe(1);
    expect(await accountByIg(shop.igId)).toMatchObject({ status: 'reauth_required' });
    expect(w.events).toContainEqual(expect.objectContaining({ type: 'account.reauth_required', accountId: account?.id }));

    // Sign in again with Instagram (the old session lapsed on the moved clock): that relinks the account.
    const relink = await browserLogin(w, { igId: shop.igId });
    expect(relink.location).toMatch(/oauth=success/);
    const restored = await accountByIg(shop.igId);
    expect(restored).toMatchObject({ id: account?.id, status: 'active', statusReason: null });
    const list = await w.t.app.inject({ method: 'GET', url: '/api/v1/accounts/me', headers: bearer(relink.sessionToken ?? '') });
    expect(list.json()).toMatchObject({ accounts: [{ id: account?.id, status: 'active', role: 'owner' }] });
    expect(w.events.filter((e) => e.type === 'account.connected' && e.accountId === account?.id)).toHaveLength(2);
  });

  it('shows reauth_required in the account list after Meta refused the daily profile sync', async () => {
    const shop = await w.control.createAccount({ username: 'sync_shop', followersCount: 10 });
    await browserLogin(w, { igId: shop.igId });
    await w.control.updateAccount(shop.igId, { followersCount: 99, username: 'sync_shop_renamed' });
    await w.control.advanceClock({ advanceHours: 25 });
    const synced = await w.t.services.profileSync.runOnce();
    expect(synced.synced).toBeGreaterThanOrEqual(1);
    expect(await accountByIg(shop.igId)).toMatchObject({ username: 'sync_shop_renamed', followersCount: 99 });

    await w.control.revokeTokens(shop.igId, { subcode: 463 });
    await w.control.advanceClock({ advanceHours: 25 });
    await w.t.services.profileSync.runOnce();
    expect(await accountByIg(shop.igId)).toMatchObject({ status: 'reauth_required' });
  });

  it('marks an account whose token already expired as reauth_required instead of trying to refresh it', async () => {
    const shop = await w.control.createAccount({ username: 'expired_shop' });
    await browserLogin(w, { igId: shop.igId });
    await w.control.advanceClock({ advanceDays: 61 });
    await w.t.services.tokenRefresh.runOnce();
    expect(await accountByIg(shop.igId)).toMatchObject({ status: 'reauth_required', statusReason: 'the Instagram token expired' });
  });
});
