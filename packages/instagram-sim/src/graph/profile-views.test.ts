import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appScopedId } from '../ids.ts';
import { graph, startSim, world } from '../../test/harness.ts';
import type { Harness } from '../../test/harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await startSim();
});
afterEach(async () => h.close());

const ME_FIELDS = 'user_id,username,name,account_type,profile_picture_url,followers_count,follows_count,media_count';

describe('GET /{version}/me', () => {
  it('answers the documented fields, with an app-scoped id different from user_id (the IG_ID)', async () => {
    const { app, account, token } = await world(h);
    const res = await graph(h.url, `/v25.0/me?fields=${ME_FIELDS}`, { token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      user_id: account.igId, username: 'acme', name: 'acme', account_type: 'Business',
      profile_picture_url: account.profilePictureUrl, followers_count: 1200, follows_count: 150, media_count: 3,
      id: appScopedId(app.id, account.igId),
    });
    expect(appScopedId(app.id, account.igId)).not.toBe(account.igId);
  });

  it('takes the token from the access_token parameter as well as the Authorization header', async () => {
    const { token } = await world(h);
    const res = await graph(h.url, `/v25.0/me?fields=user_id&access_token=${token}`);
    expect(res.status).toBe(200);
  });

  it('wraps the answer in data[] when that variant is chosen', async () => {
    const { account, token } = await world(h);
    await h.client.setVariants({ meResponseShape: 'data' });
    const res = await graph(h.url, '/v25.0/me?fields=user_id', { token });
    expect(res.body).toEqual({ data: [{ user_id: account.igId, id: expect.any(String) }] });
  });

  it('rejects biography, which is not in the field list, unless the variant allows it', async () => {
    const { token } = await world(h);
    const res = await graph(h.url, '/v25.0/me?fields=biography', { token });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 100, message: '(#100) Tried accessing nonexisting field (biography) on node type (User)' } });
    await h.client.setVariants({ meSupportsBiography: true });
    expect((await graph(h.url, '/v25.0/me?fields=biography', { token })).status).toBe(200);
  });

  it('answers 2500 without a token and 190 with an unknown one', async () => {
    expect((await graph(h.url, '/v25.0/me')).body).toMatchObject({ error: { code: 2500, type: 'OAuthException' } });
    expect((await graph(h.url, '/v25.0/me', { token: 'IGAAbogus' })).body).toMatchObject({ error: { code: 190 } });
  });

  it('answers 190/463 once the token has expired on the simulated clock', async () => {
    const { token } = await world(h);
    await h.client.advanceClock({ advanceDays: 61 });
    const res = await graph(h.url, '/v25.0/me', { token });
    expect(res.body).toMatchObject({ error: { code: 190, error_subcode: 463, is_transient: false } });
  });

  it('rejects a malformed version segment', async () => {
    const { token } = await world(h);
    expect((await graph(h.url, '/latest/me', { token })).body).toMatchObject({ error: { code: 100 } });
  });
});

describe('GET /{version}/{IGSID} (user profile)', () => {
  const FIELDS = 'name,username,profile_pic,follower_count,is_user_follow_business,is_business_follow_user,is_verified_user';

  it('needs consent: a customer who never messaged the account cannot be read (230)', async () => {
    const { customer, token } = await world(h);
    const res = await graph(h.url, `/v25.0/${customer.igsid}?fields=${FIELDS}`, { token });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 230 } });
  });

  it('answers the profile fields once the customer has messaged the account', async () => {
    const { account, customer, token } = await world(h);
    await h.client.sendText(customer.igsid, account.igId, 'hi');
    const res = await graph(h.url, `/v25.0/${customer.igsid}?fields=${FIELDS}`, { token });
    expect(res.body).toEqual({
      name: 'Jane Doe', username: 'jane', profile_pic: customer.profilePic, follower_count: 42,
      is_user_follow_business: false, is_business_follow_user: false, is_verified_user: false, id: customer.igsid,
    });
  });

  it('counts a postback (ice breaker) as consent', async () => {
    const { account, customer, token } = await world(h);
    await h.client.postback(customer.igsid, { to: account.igId, title: 'Start', payload: 'GET_STARTED' });
    expect((await graph(h.url, `/v25.0/${customer.igsid}?fields=name`, { token })).status).toBe(200);
  });

  it('cannot read a customer who blocked the account', async () => {
    const { account, customer, token } = await world(h);
    await h.client.sendText(customer.igsid, account.igId, 'hi');
    await h.client.blockAccount(customer.igsid, account.igId);
    expect((await graph(h.url, `/v25.0/${customer.igsid}?fields=name`, { token })).body).toMatchObject({ error: { code: 100, error_subcode: 33 } });
  });

  it('answers 100/33 for an id that does not exist', async () => {
    const { token } = await world(h);
    const res = await graph(h.url, '/v25.0/123456?fields=name', { token });
    expect(res.body).toMatchObject({ error: { code: 100, error_subcode: 33, type: 'GraphMethodException' } });
  });
});
