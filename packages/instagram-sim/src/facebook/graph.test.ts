import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { graph, sign, startReceiver, startSim } from '../../test/harness.ts';
import type { Harness, Receiver } from '../../test/harness.ts';

let h: Harness;
let receiver: Receiver;
beforeEach(async () => {
  h = await startSim();
  receiver = await startReceiver();
});
afterEach(async () => {
  await h.close();
  await receiver.close();
});

const FIELDS = 'messages,messaging_postbacks,messaging_seen,message_reactions,messaging_referral';

/** An app with a webhook, an Instagram account linked to a Page, a Page token, and a customer who just wrote. */
async function pageWorld() {
  const app = await h.client.createApp({ name: 'Threadline' });
  await h.client.setWebhook(app.id, { callbackUrl: receiver.url, verifyToken: 'verify-me' });
  const account = await h.client.createAccount({ username: 'page_shop', name: 'Page Shop' });
  const person = await h.client.facebook.createUser({ name: 'Owner' });
  const page = await h.client.facebook.createPage({ name: 'Page Shop', managers: [person.id], igAccountId: account.igId });
  const { access_token: token } = await h.client.facebook.issuePageToken({ appId: app.id, userId: person.id, pageId: page.id });
  const customer = await h.client.createCustomer({ username: 'jane', name: 'Jane Doe' });
  return { app, account, person, page, token, customer };
}

describe('graph.facebook.com with a Page token', () => {
  it('subscribes the Page; the customer’s DM then arrives as object instagram, entry.id the IG id, signed with the Meta app secret', async () => {
    const w = await pageWorld();
    const post = await graph(h.url, `/facebook/v25.0/${w.page.id}/subscribed_apps?subscribed_fields=${FIELDS}`, { method: 'POST', token: w.token });
    expect(post.body).toEqual({ success: true });
    expect((await graph(h.url, '/facebook/v25.0/me/subscribed_apps', { token: w.token })).body).toMatchObject({ data: [{ id: w.app.metaAppId, subscribed_fields: FIELDS.split(',') }] });

    await h.client.sendText(w.customer.igsid, w.account.igId, 'Hello page');
    const hook = receiver.received.at(-1);
    expect(hook?.json).toMatchObject({ object: 'instagram', entry: [{ id: w.account.igId, messaging: [{ message: { text: 'Hello page' } }] }] });
    expect(hook?.headers['x-hub-signature-256']).toBe(sign(hook?.body ?? '', w.app.metaAppSecret));

    expect((await graph(h.url, `/facebook/v25.0/${w.page.id}/subscribed_apps`, { method: 'DELETE', token: w.token })).body).toEqual({ success: true });
    const before = receiver.received.length;
    await h.client.sendText(w.customer.igsid, w.account.igId, 'Anyone?');
    expect(receiver.received).toHaveLength(before);
  });

  it('sends, reads the customer profile, lists conversations and looks messages up, on the Page’s Instagram account', async () => {
    const w = await pageWorld();
    await h.client.setVariants({ rateLimits: { conversationsPerSecond: 100 } });
    const inbound = await h.client.sendText(w.customer.igsid, w.account.igId, 'Is it in stock?');
    const sent = await graph(h.url, `/facebook/v25.0/${w.page.id}/messages`, {
      method: 'POST', token: w.token, json: { recipient: { id: w.customer.igsid }, message: { text: 'Yes!' } },
    });
    expect(sent.body).toMatchObject({ recipient_id: w.customer.igsid, message_id: expect.any(String) });
    expect(await h.client.outbox({ accountId: w.account.igId })).toMatchObject([{ body: { message: { text: 'Yes!' } } }]);
    const viaMe = await graph(h.url, '/facebook/v25.0/me/messages', { method: 'POST', token: w.token, json: { recipient: { id: w.customer.igsid }, sender_action: 'typing_on' } });
    expect(viaMe.body).toEqual({ recipient_id: w.customer.igsid });

    const profile = await graph(h.url, `/facebook/v25.0/${w.customer.igsid}?fields=name,username,profile_pic`, { token: w.token });
    expect(profile.body).toMatchObject({ name: 'Jane Doe', username: 'jane' });

    const list = (await graph(h.url, `/facebook/v25.0/${w.page.id}/conversations?platform=instagram&fields=id,updated_time`, { token: w.token })).body as { data: { id: string }[] };
    expect(list.data).toHaveLength(1);
    const thread = (await graph(h.url, `/facebook/v25.0/${list.data[0]?.id}?fields=messages{id,created_time,from,to}`, { token: w.token })).body as { messages: { data: { id: string }[] } };
    expect(thread.messages.data.map((m) => m.id)).toContain(inbound.mid);
    const detail = await graph(h.url, `/facebook/v25.0/${inbound.mid}?fields=id,created_time,from,to,message`, { token: w.token });
    expect(detail.body).toMatchObject({ id: inbound.mid, message: 'Is it in stock?', from: { id: w.customer.igsid } });
    expect((await graph(h.url, `/facebook/v25.0/${w.page.id}/conversations`, { token: w.token })).body).toEqual({ data: [] });

    const me = await graph(h.url, '/facebook/v25.0/me?fields=id,name,instagram_business_account{id,username}', { token: w.token });
    expect(me.body).toEqual({ id: w.page.id, name: 'Page Shop', instagram_business_account: { id: w.account.igId, username: 'page_shop' } });
    const igProfile = await graph(h.url, `/facebook/v25.0/${w.account.igId}?fields=username,name,followers_count`, { token: w.token });
    expect(igProfile.body).toMatchObject({ id: w.account.igId, username: 'page_shop', name: 'Page Shop' });
  });

  it('refuses Instagram tokens on graph.facebook.com and Page tokens on graph.instagram.com with 190', async () => {
    const w = await pageWorld();
    const igToken = (await h.client.issueToken({ appId: w.app.id, accountId: w.account.igId })).access_token;
    const onFacebook = await graph(h.url, '/facebook/v25.0/me?fields=id,name', { token: igToken });
    expect(onFacebook.body).toMatchObject({ error: { code: 190 } });
    const onInstagram = await graph(h.url, '/v25.0/me?fields=user_id,username', { token: w.token });
    expect(onInstagram.body).toMatchObject({ error: { code: 190 } });
    const sendOnInstagram = await graph(h.url, `/v25.0/${w.account.igId}/messages`, { method: 'POST', token: w.token, json: { recipient: { id: w.customer.igsid }, message: { text: 'x' } } });
    expect(sendOnInstagram.body).toMatchObject({ error: { code: 190 } });
  });

  it('answers 190 with the subcode once the Page’s tokens are revoked, and debug_token says why', async () => {
    const w = await pageWorld();
    await h.client.facebook.revokePageTokens(w.page.id, { subcode: 460 });
    expect((await graph(h.url, '/facebook/v25.0/me?fields=id', { token: w.token })).body).toMatchObject({ error: { code: 190, error_subcode: 460 } });
    const debug = await graph(h.url, `/facebook/debug_token?input_token=${w.token}&access_token=${w.app.metaAppId}|${w.app.metaAppSecret}`);
    expect(debug.body).toMatchObject({ data: { is_valid: false, error: { code: 190, subcode: 460 } } });
  });

  it('explains a Page without an Instagram account, a user token on a Page edge, and a missing permission', async () => {
    const w = await pageWorld();
    await h.client.facebook.updatePage(w.page.id, { igAccountId: null });
    const send = await graph(h.url, '/facebook/v25.0/me/messages', { method: 'POST', token: w.token, json: { recipient: { id: w.customer.igsid }, message: { text: 'x' } } });
    expect(send.body).toMatchObject({ error: { code: 100, error_subcode: 33 } });

    const limited = await h.client.facebook.issuePageToken({ appId: w.app.id, userId: w.person.id, pageId: w.page.id, permissions: ['pages_show_list'] });
    const subscribe = await graph(h.url, `/facebook/v25.0/me/subscribed_apps?subscribed_fields=${FIELDS}`, { method: 'POST', token: limited.access_token });
    expect(subscribe.body).toMatchObject({ error: { code: 200, message: expect.stringContaining('pages_manage_metadata') } });
  });

  it('needs a Page token on Page edges (210)', async () => {
    const w = await pageWorld();
    const app2 = await h.client.createApp({ redirectUris: ['https://t.test/cb'] });
    await h.client.facebook.setSession(w.person.id);
    const consent = await h.client.facebook.dialog(`${h.url}/facebook/v25.0/dialog/oauth?client_id=${app2.metaAppId}&redirect_uri=https://t.test/cb&scope=pages_show_list`);
    const short = await graph(h.url, `/facebook/v25.0/oauth/access_token?client_id=${app2.metaAppId}&client_secret=${app2.metaAppSecret}&redirect_uri=https://t.test/cb&code=${consent.code}`);
    const userToken = (short.body as { access_token: string }).access_token;
    const res = await graph(h.url, `/facebook/v25.0/${w.page.id}/messages`, { method: 'POST', token: userToken, json: { recipient: { id: w.customer.igsid }, message: { text: 'x' } } });
    expect(res.body).toMatchObject({ error: { code: 210 } });
  });
});
