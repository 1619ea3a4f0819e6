import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_SECRET, envelope, inbound, mid, postSigned } from '../../../test/meta.ts';
import { accounts, dataDeletionRequests, messages } from '../../db/schema/index.ts';
import { createSignedRequest } from '../../instagram/signed-request.ts';
import { browserFacebookLogin, facebookPerson } from './facebook-test-world.ts';
import { postSignedRequest, startOAuthWorld, type OAuthWorld } from './oauth-test-world.ts';

describe("Meta's deauthorize and data-deletion callbacks for the Facebook app", () => {
  let w: OAuthWorld;
  beforeAll(async () => {
    w = await startOAuthWorld();
  });
  afterAll(async () => w.close());

  const db = () => w.t.database.db;
  const post = (path: string, signedRequest: string) => postSignedRequest(w, path, signedRequest);

  /** A person who linked two Pages' Instagram accounts through Facebook. */
  async function personWithTwoAccounts(name: string) {
    const { person, pages } = await facebookPerson(w, name, [
      { page: `${name} One`, instagram: `${name.toLowerCase()}_one` },
      { page: `${name} Two`, instagram: `${name.toLowerCase()}_two` },
    ]);
    const run = await browserFacebookLogin(w, { choose: pages.map((p) => p.page.id) });
    expect(run.location).toMatch(/linked=2/);
    const igIds = pages.map((p) => p.account?.igId ?? '');
    const rows = await db().select().from(accounts).where(inArray(accounts.igUserId, igIds));
    return { person, pages, rows };
  }

  it('refuses a signed_request signed with the Instagram app secret on the Facebook route', async () => {
    const { person, rows } = await personWithTwoAccounts('Forged');
    const res = await post('/oauth/facebook/deauthorize', createSignedRequest({ user_id: person.id }, APP_SECRET));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'signed_request.bad_signature' } });
    const after = await db().select().from(accounts).where(inArray(accounts.id, rows.map((r) => r.id)));
    expect(after.map((a) => a.status)).toEqual(['active', 'active']);
  });

  it('disconnects every account the person linked, unsubscribes their Pages, and leaves Instagram Login callbacks to theirs', async () => {
    const { person, pages, rows } = await personWithTwoAccounts('Leaving');
    // The Instagram app's callback names Instagram ids: it never touches an account reached through a Page.
    const viaInstagram = await post('/oauth/instagram/deauthorize', createSignedRequest({ user_id: rows[0]?.igUserId }, APP_SECRET));
    expect(viaInstagram.statusCode).toBe(200);
    expect((await db().select().from(accounts).where(eq(accounts.id, rows[0]?.id ?? '')))[0]?.status).toBe('active');

    const res = await post('/oauth/facebook/deauthorize', createSignedRequest({ user_id: person.id, issued_at: Math.floor(w.sim.clock.now() / 1000) }, w.metaAppSecret));
    expect(res.statusCode).toBe(200);
    const after = await db().select().from(accounts).where(inArray(accounts.id, rows.map((r) => r.id)));
    expect(after.map((a) => [a.status, a.accessTokenEncrypted])).toEqual([
      ['disconnected', null],
      ['disconnected', null],
    ]);
    const subscribed = (await w.control.facebook.pageSubscriptions()).map((s) => s.pageId);
    for (const p of pages) expect(subscribed).not.toContain(p.page.id);
    for (const r of rows) expect(w.events).toContainEqual(expect.objectContaining({ type: 'account.disconnected', accountId: r.id }));
  });

  it('erases the stored messages of every account the person linked and answers the status page', async () => {
    const { person, rows } = await personWithTwoAccounts('Erased');
    for (const r of rows) {
      await postSigned(w.t, envelope(r.igUserId, [inbound(r.igUserId, '5500001', Date.now(), { mid: mid(), text: 'private words' })]), { secret: w.metaAppSecret });
    }
    await w.t.services.webhookProcessor.runUntilIdle();
    expect(await db().select().from(messages).where(inArray(messages.accountId, rows.map((r) => r.id)))).toHaveLength(2);

    const res = await post('/oauth/facebook/data-deletion', createSignedRequest({ user_id: person.id }, w.metaAppSecret));
    expect(res.statusCode).toBe(200);
    const body = res.json<{ url: string; confirmation_code: string }>();
    expect(body.url).toBe(`http://localhost:8000/oauth/facebook/data-deletion/${body.confirmation_code}`);
    expect(await db().select().from(messages).where(inArray(messages.accountId, rows.map((r) => r.id)))).toEqual([]);
    const [request] = await db().select().from(dataDeletionRequests).where(eq(dataDeletionRequests.confirmationCode, body.confirmation_code));
    expect(request).toMatchObject({ status: 'completed', messagesDeleted: 2, accountId: null });
    expect(request?.igUserId?.split(',').sort()).toEqual(rows.map((r) => r.igUserId).sort());

    const status = await w.t.app.inject({ method: 'GET', url: new URL(body.url).pathname, headers: { accept: 'application/json' } });
    expect(status.json()).toMatchObject({ status: 'completed', messages_deleted: 2 });
  });

  it('answers a deletion for a person Threadline never saw with a not_found status', async () => {
    const res = await post('/oauth/facebook/data-deletion', createSignedRequest({ user_id: '100000000000001' }, w.metaAppSecret));
    const body = res.json<{ url: string }>();
    const page = await w.t.app.inject({ method: 'GET', url: new URL(body.url).pathname });
    expect(page.body).toContain('held no data');
  });
});
