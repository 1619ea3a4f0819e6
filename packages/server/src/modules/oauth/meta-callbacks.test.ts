import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_SECRET, envelope, inbound, mid, postSigned } from '../../../test/meta.ts';
import { accounts, dataDeletionRequests, messages } from '../../db/schema/index.ts';
import { createSignedRequest } from '../../instagram/signed-request.ts';
import { browserLogin, postSignedRequest, startOAuthWorld, type OAuthWorld } from './oauth-test-world.ts';

describe("Meta's deauthorize and data-deletion callbacks", () => {
  let w: OAuthWorld;
  beforeAll(async () => {
    w = await startOAuthWorld();
  });
  afterAll(async () => w.close());

  const post = (path: string, signedRequest: string) => postSignedRequest(w, path, signedRequest);

  async function linkedAccount(username: string) {
    const shop = await w.control.createAccount({ username });
    await browserLogin(w, { igId: shop.igId });
    const [row] = await w.t.database.db.select().from(accounts).where(eq(accounts.igUserId, shop.igId));
    if (!row) throw new Error('not linked');
    return row;
  }

  it('refuses a signed_request signed with another key, and changes nothing', async () => {
    const account = await linkedAccount('forged_shop');
    const res = await post('/oauth/instagram/deauthorize', createSignedRequest({ user_id: account.igAppScopedId }, 'not-the-app-secret'));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'signed_request.bad_signature' } });
    expect((await w.t.database.db.select().from(accounts).where(eq(accounts.id, account.id)))[0]?.status).toBe('active');
  });

  it('refuses a signed_request whose algorithm is not HMAC-SHA256', async () => {
    const account = await linkedAccount('wrong_algorithm_shop');
    const res = await post('/oauth/instagram/deauthorize', createSignedRequest({ algorithm: 'HMAC-SHA1', user_id: account.igAppScopedId }, APP_SECRET));
    expect(res.json()).toMatchObject({ error: { code: 'signed_request.unsupported_algorithm' } });
  });

  it('disconnects a deauthorized account: token deleted, status disconnected, the CRM told', async () => {
    const account = await linkedAccount('deauth_shop');
    const res = await post('/oauth/instagram/deauthorize', createSignedRequest({ user_id: account.igAppScopedId, issued_at: Math.floor(w.sim.clock.now() / 1000) }, APP_SECRET));
    expect(res.statusCode).toBe(200);
    const [row] = await w.t.database.db.select().from(accounts).where(eq(accounts.id, account.id));
    expect(row).toMatchObject({ status: 'disconnected', accessTokenEncrypted: null });
    expect(w.events).toContainEqual(expect.objectContaining({ type: 'account.disconnected', accountId: account.id }));
  });

  it("erases an account's stored messages on a data-deletion request and answers a status URL with a confirmation code", async () => {
    const account = await linkedAccount('deleted_shop');
    await postSigned(w.t, envelope(account.igUserId, [inbound(account.igUserId, '7700001', Date.now(), { mid: mid(), text: 'private words' })]));
    await w.t.services.webhookProcessor.runUntilIdle();
    expect(await w.t.database.db.select().from(messages).where(eq(messages.accountId, account.id))).toHaveLength(1);

    const res = await post('/oauth/instagram/data-deletion', createSignedRequest({ user_id: account.igUserId }, APP_SECRET));
    expect(res.statusCode).toBe(200);
    const body = res.json<{ url: string; confirmation_code: string }>();
    expect(body.confirmation_code).toMatch(/^[A-Za-z0-9]+$/);
    expect(body.url).toBe(`http://localhost:8000/oauth/instagram/data-deletion/${body.confirmation_code}`);
    expect(await w.t.database.db.select().from(messages).where(eq(messages.accountId, account.id))).toEqual([]);
    expect((await w.t.database.db.select().from(accounts).where(eq(accounts.id, account.id)))[0]).toMatchObject({ status: 'disconnected', accessTokenEncrypted: null });
    const [request] = await w.t.database.db.select().from(dataDeletionRequests).where(eq(dataDeletionRequests.confirmationCode, body.confirmation_code));
    expect(request).toMatchObject({ status: 'completed', messagesDeleted: 1 });

    const page = await w.t.app.inject({ method: 'GET', url: new URL(body.url).pathname });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(body.confirmation_code);
    expect(page.body).toContain('1 stored messages');
  });

  it('refuses a signed_request issued more than a day ago, and one already handled', async () => {
    const account = await linkedAccount('replayed_shop');
    const nowSeconds = Math.floor(w.sim.clock.now() / 1000);
    const stale = await post('/oauth/instagram/deauthorize', createSignedRequest({ user_id: account.igAppScopedId, issued_at: nowSeconds - 86_401 }, APP_SECRET));
    expect(stale.statusCode).toBe(400);
    expect(stale.json()).toMatchObject({ error: { code: 'signed_request.stale' } });
    expect((await w.t.database.db.select().from(accounts).where(eq(accounts.id, account.id)))[0]?.status).toBe('active');

    const fresh = createSignedRequest({ user_id: account.igUserId, issued_at: nowSeconds }, APP_SECRET);
    expect((await post('/oauth/instagram/data-deletion', fresh)).statusCode).toBe(200);
    const replayed = await post('/oauth/instagram/data-deletion', fresh);
    expect(replayed.statusCode).toBe(409);
    expect(replayed.json()).toMatchObject({ error: { code: 'signed_request.replayed' } });
    expect(await w.t.database.db.select().from(dataDeletionRequests).where(eq(dataDeletionRequests.igUserId, account.igUserId))).toHaveLength(1);
  });
});
