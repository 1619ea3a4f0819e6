import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { graph, startReceiver, startSim, world } from '../../test/harness.ts';
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

/** A world where the customer has just written, so the 24-hour window is open. */
async function openThread() {
  const w = await world(h, receiver);
  const inbound = await h.client.sendText(w.customer.igsid, w.account.igId, 'Hello, is this in stock?');
  const send = (json: unknown, path = 'me') => graph(h.url, `/v25.0/${path}/messages`, { method: 'POST', token: w.token, json });
  return { ...w, inbound, send };
}
const errorOf = (body: unknown) => (typeof body === 'object' && body && 'error' in body ? body.error : null);

describe('POST /{version}/{IG_ID|me}/messages', () => {
  it('sends a text and answers recipient_id and message_id; the app can read it back and gets an echo', async () => {
    const t = await openThread();
    const res = await t.send({ recipient: { id: t.customer.igsid }, message: { text: 'Yes, it is!' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ recipient_id: t.customer.igsid, message_id: expect.stringMatching(/^aWdf/) });
    const [sent] = await h.client.outbox({ accountId: t.account.igId });
    expect(sent).toMatchObject({ kind: 'message', recipientId: t.customer.igsid, body: { message: { text: 'Yes, it is!' } } });
    await h.sim.webhooks.settle();
    const echo = receiver.received.at(-1)?.json;
    expect(echo).toMatchObject({
      object: 'instagram',
      entry: [{ id: t.account.igId, messaging: [{ sender: { id: t.account.igId }, recipient: { id: t.customer.igsid }, message: { text: 'Yes, it is!', is_echo: true } }] }],
    });
  });

  it('accepts the IG_ID in the path and the token as access_token parameter', async () => {
    const t = await openThread();
    const res = await graph(h.url, `/v25.0/${t.account.igId}/messages?access_token=${t.token}`, {
      method: 'POST', json: { recipient: { id: t.customer.igsid }, message: { text: 'hi' } },
    });
    expect(res.status).toBe(200);
  });

  it('accepts recipient and message as JSON-encoded form fields', async () => {
    const t = await openThread();
    const res = await graph(h.url, `/v25.0/me/messages?access_token=${t.token}`, {
      method: 'POST', form: { recipient: JSON.stringify({ id: t.customer.igsid }), message: JSON.stringify({ text: 'form' }) },
    });
    expect(res.status).toBe(200);
  });

  it('counts the text limit in UTF-8 bytes: 1000 bytes pass, 1001 are rejected with code 100', async () => {
    const t = await openThread();
    const euro = '€'.repeat(333); // 999 bytes
    expect((await t.send({ recipient: { id: t.customer.igsid }, message: { text: `${euro}a` } })).status).toBe(200);
    const res = await t.send({ recipient: { id: t.customer.igsid }, message: { text: `${euro}ab` } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 100, type: 'OAuthException', message: expect.stringContaining('1000') } });
  });

  it('refuses a reply more than 24 hours after the customer\'s last message with 10/2534022', async () => {
    const t = await openThread();
    await h.client.advanceClock({ advanceHours: 24, advanceSeconds: 1 });
    const res = await t.send({ recipient: { id: t.customer.igsid }, message: { text: 'late' } });
    expect(res.status).toBe(400);
    expect(errorOf(res.body)).toMatchObject({ code: 10, error_subcode: 2534022, type: 'OAuthException', is_transient: false });
  });

  it('answers 10/2018278 for the same case when that variant is chosen', async () => {
    const t = await openThread();
    await h.client.setVariants({ windowErrorSubcode: 2018278 });
    await h.client.advanceClock({ advanceDays: 2 });
    const res = await t.send({ recipient: { id: t.customer.igsid }, message: { text: 'late' } });
    expect(errorOf(res.body)).toMatchObject({ code: 10, error_subcode: 2018278 });
  });

  it('allows a HUMAN_AGENT reply up to 7 days, and not after', async () => {
    const t = await openThread();
    await h.client.advanceClock({ advanceDays: 6 });
    const tagged = { recipient: { id: t.customer.igsid }, message: { text: 'human here' }, messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' };
    expect((await t.send(tagged)).status).toBe(200);
    expect((await t.send({ recipient: { id: t.customer.igsid }, message: { text: 'tag only' }, tag: 'HUMAN_AGENT' })).status).toBe(200);
    await h.client.advanceClock({ advanceDays: 1, advanceSeconds: 1 });
    expect(errorOf((await t.send(tagged)).body)).toMatchObject({ code: 10, error_subcode: 2534022 });
  });

  it('refuses HUMAN_AGENT when the app lacks the Human Agent feature, and unknown tags', async () => {
    const t = await openThread();
    await h.client.updateApp(t.app.id, { humanAgent: false });
    const res = await t.send({ recipient: { id: t.customer.igsid }, message: { text: 'x' }, tag: 'HUMAN_AGENT' });
    expect(errorOf(res.body)).toMatchObject({ code: 10 });
    const bad = await t.send({ recipient: { id: t.customer.igsid }, message: { text: 'x' }, tag: 'ACCOUNT_UPDATE' });
    expect(errorOf(bad.body)).toMatchObject({ code: 100 });
  });

  it('refuses a customer who never wrote (outside the window) and an unknown IGSID (100/2534014)', async () => {
    const t = await openThread();
    const stranger = await h.client.createCustomer();
    expect(errorOf((await t.send({ recipient: { id: stranger.igsid }, message: { text: 'x' } })).body)).toMatchObject({ code: 10, error_subcode: 2534022 });
    expect(errorOf((await t.send({ recipient: { id: '999' }, message: { text: 'x' } })).body)).toMatchObject({ code: 100, error_subcode: 2534014 });
  });

  it('answers 551/1545041 when the customer blocked the account', async () => {
    const t = await openThread();
    await h.client.blockAccount(t.customer.igsid, t.account.igId);
    expect(errorOf((await t.send({ recipient: { id: t.customer.igsid }, message: { text: 'x' } })).body)).toMatchObject({ code: 551, error_subcode: 1545041 });
  });

  it.each([
    ['disabled_by_owner', { code: 200, error_subcode: 2534041 }],
    ['blocked', { code: 100, error_subcode: 2534029 }],
    ['restricted', { code: 10, error_subcode: 1893063 }],
  ] as const)('answers the account messaging-access error when access is %s', async (access, expected) => {
    const t = await openThread();
    await h.client.updateAccount(t.account.igId, { messagingAccess: access });
    expect(errorOf((await t.send({ recipient: { id: t.customer.igsid }, message: { text: 'x' } })).body)).toMatchObject(expected);
  });

  it('needs instagram_business_manage_messages (200)', async () => {
    const t = await openThread();
    const { access_token } = await h.client.issueToken({ appId: t.app.id, accountId: t.account.igId, scopes: ['instagram_business_basic'] });
    const res = await graph(h.url, '/v25.0/me/messages', { method: 'POST', token: access_token, json: { recipient: { id: t.customer.igsid }, message: { text: 'x' } } });
    expect(errorOf(res.body)).toMatchObject({ code: 200 });
  });

  it('answers 100/33 when posting to another account\'s IG_ID', async () => {
    const t = await openThread();
    const other = await h.client.createAccount();
    const res = await t.send({ recipient: { id: t.customer.igsid }, message: { text: 'x' } }, other.igId);
    expect(errorOf(res.body)).toMatchObject({ code: 100, error_subcode: 33 });
  });

  it.each([
    ['up to 10 images by url or attachment_id', { attachments: [{ type: 'image', payload: { url: 'https://cdn.test/a.png' } }, { type: 'image', payload: { attachment_id: '123' } }] }],
    ['one audio file', { attachment: { type: 'audio', payload: { url: 'https://cdn.test/a.m4a' } } }],
    ['one video', { attachment: { type: 'video', payload: { url: 'https://cdn.test/a.mp4' } } }],
    ['one pdf file', { attachment: { type: 'file', payload: { url: 'https://cdn.test/a.pdf' } } }],
    ['a heart sticker', { attachment: { type: 'like_heart' } }],
    ['quick replies', { text: 'Pick', quick_replies: [{ content_type: 'text', title: 'Red', payload: 'RED' }, { content_type: 'user_email' }, { content_type: 'user_phone_number' }] }],
    ['a generic template', { attachment: { type: 'template', payload: { template_type: 'generic', elements: [{ title: 'Shoe', subtitle: 'Size 42', image_url: 'https://cdn.test/s.png', default_action: { type: 'web_url', url: 'https://shop.test/s' }, buttons: [{ type: 'web_url', url: 'https://shop.test', title: 'Buy' }, { type: 'postback', title: 'More', payload: 'MORE' }] }] } } }],
    ['a button template', { attachment: { type: 'template', payload: { template_type: 'button', text: 'Choose', buttons: [{ type: 'postback', title: 'A', payload: 'A' }] } } }],
  ])('sends %s', async (_name, message) => {
    const t = await openThread();
    const res = await t.send({ recipient: { id: t.customer.igsid }, message });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ recipient_id: t.customer.igsid, message_id: expect.any(String) });
  });

  it('shares only a post the account owns', async () => {
    const t = await openThread();
    const own = t.account.mediaIds[0];
    expect((await t.send({ recipient: { id: t.customer.igsid }, message: { attachment: { type: 'MEDIA_SHARE', payload: { id: own } } } })).status).toBe(200);
    const res = await t.send({ recipient: { id: t.customer.igsid }, message: { attachment: { type: 'MEDIA_SHARE', payload: { id: '1800000' } } } });
    expect(errorOf(res.body)).toMatchObject({ code: 100, error_subcode: 2534015 });
  });

  it.each([
    ['no recipient', { message: { text: 'x' } }],
    ['no message', { recipient: { id: 'X' } }],
    ['an empty text', { recipient: { id: 'X' }, message: { text: '' } }],
    ['text and attachment together', { recipient: { id: 'X' }, message: { text: 'x', attachment: { type: 'like_heart' } } }],
    ['11 images', { recipient: { id: 'X' }, message: { attachments: Array.from({ length: 11 }, () => ({ type: 'image', payload: { url: 'https://cdn.test/a.png' } })) } }],
    ['an invalid media url', { recipient: { id: 'X' }, message: { attachment: { type: 'image', payload: { url: 'not a url' } } } }],
    ['14 quick replies', { recipient: { id: 'X' }, message: { text: 'x', quick_replies: Array.from({ length: 14 }, (_, i) => ({ content_type: 'text', title: `Q${i}`, payload: 'P' })) } }],
    ['a quick reply title over 20 characters', { recipient: { id: 'X' }, message: { text: 'x', quick_replies: [{ content_type: 'text', title: 'x'.repeat(21), payload: 'P' }] } }],
    ['11 template elements', { recipient: { id: 'X' }, message: { attachment: { type: 'template', payload: { template_type: 'generic', elements: Array.from({ length: 11 }, () => ({ title: 't' })) } } } }],
    ['a template title over 80 characters', { recipient: { id: 'X' }, message: { attachment: { type: 'template', payload: { template_type: 'generic', elements: [{ title: 't'.repeat(81) }] } } } }],
    ['4 template buttons', { recipient: { id: 'X' }, message: { attachment: { type: 'template', payload: { template_type: 'button', text: 'x', buttons: Array.from({ length: 4 }, () => ({ type: 'postback', title: 'b', payload: 'p' })) } } } }],
    ['a phone_number template button', { recipient: { id: 'X' }, message: { attachment: { type: 'template', payload: { template_type: 'button', text: 'x', buttons: [{ type: 'phone_number', title: 'b', payload: '+1' }] } } } }],
    ['an unknown attachment type', { recipient: { id: 'X' }, message: { attachment: { type: 'sticker' } } }],
    ['message and sender_action together', { recipient: { id: 'X' }, sender_action: 'typing_on', message: { text: 'x' } }],
    ['an unknown sender_action', { recipient: { id: 'X' }, sender_action: 'dance' }],
  ])('rejects %s with code 100', async (_name, json) => {
    const t = await openThread();
    const body = JSON.parse(JSON.stringify(json).replaceAll('"X"', JSON.stringify(t.customer.igsid)));
    const res = await t.send(body);
    expect(res.status).toBe(400);
    expect(errorOf(res.body)).toMatchObject({ code: 100, type: 'OAuthException', fbtrace_id: expect.any(String) });
  });

  it('sends typing_on, typing_off and mark_seen alone, answering only recipient_id', async () => {
    const t = await openThread();
    for (const action of ['typing_on', 'typing_off', 'mark_seen']) {
      const res = await t.send({ recipient: { id: t.customer.igsid }, sender_action: action });
      expect(res.body).toEqual({ recipient_id: t.customer.igsid });
    }
    expect((await h.client.outbox()).map((o) => o.kind)).toEqual(['sender_action', 'sender_action', 'sender_action']);
  });

  it('reacts to and unreacts from a message of the thread', async () => {
    const t = await openThread();
    const react = await t.send({ recipient: { id: t.customer.igsid }, sender_action: 'react', payload: { message_id: t.inbound.mid, reaction: 'love' } });
    expect(react.body).toEqual({ recipient_id: t.customer.igsid });
    const unreact = await t.send({ recipient: { id: t.customer.igsid }, sender_action: 'unreact', payload: { message_id: t.inbound.mid } });
    expect(unreact.status).toBe(200);
    const missing = await t.send({ recipient: { id: t.customer.igsid }, sender_action: 'react', payload: { message_id: t.inbound.mid } });
    expect(errorOf(missing.body)).toMatchObject({ code: 100 });
    const foreign = await t.send({ recipient: { id: t.customer.igsid }, sender_action: 'react', payload: { message_id: 'aWdfnope', reaction: 'love' } });
    expect(errorOf(foreign.body)).toMatchObject({ code: 100, error_subcode: 2534015 });
  });

  it('accepts a top-level reply_to {mid}, or rejects it when that variant is chosen', async () => {
    const t = await openThread();
    const body = { recipient: { id: t.customer.igsid }, message: { text: 'quoted' }, reply_to: { mid: t.inbound.mid } };
    expect((await t.send(body)).status).toBe(200);
    await h.client.setVariants({ outboundReplyTo: 'reject' });
    expect(errorOf((await t.send(body)).body)).toMatchObject({ code: 100 });
  });

  it('sends a private reply to a comment once, within 7 days', async () => {
    const w = await world(h, receiver);
    const { commentId } = await h.client.comment(w.customer.igsid, { to: w.account.igId, text: 'Price?' });
    const send = () => graph(h.url, '/v25.0/me/messages', { method: 'POST', token: w.token, json: { recipient: { comment_id: commentId }, message: { text: 'Sent you the price' } } });
    expect((await send()).body).toMatchObject({ recipient_id: w.customer.igsid, message_id: expect.any(String) });
    expect(errorOf((await send()).body)).toMatchObject({ code: 10 });
    const late = await h.client.comment(w.customer.igsid, { to: w.account.igId, text: 'Hello?' });
    await h.client.advanceClock({ advanceDays: 8 });
    const res = await graph(h.url, '/v25.0/me/messages', { method: 'POST', token: w.token, json: { recipient: { comment_id: late.commentId }, message: { text: 'x' } } });
    expect(errorOf(res.body)).toMatchObject({ code: 10, error_subcode: 2534022 });
  });
});
