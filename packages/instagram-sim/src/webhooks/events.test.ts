import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { graph, sign, startReceiver, startSim, world } from '../../test/harness.ts';
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

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** The single messaging item of the last webhook received. */
function lastItem(): Record<string, unknown> {
  const json = receiver.received.at(-1)?.json;
  const entry = isRecord(json) && Array.isArray(json['entry']) ? json['entry'][0] : undefined;
  const item = isRecord(entry) && Array.isArray(entry['messaging']) ? entry['messaging'][0] : undefined;
  return isRecord(item) ? item : {};
}

describe('webhook events sent to the app', () => {
  it('POSTs a customer text in Meta\'s envelope, signed with X-Hub-Signature-256 using the Instagram app secret', async () => {
    const w = await world(h, receiver);
    const { mid } = await h.client.sendText(w.customer.igsid, w.account.igId, 'Hi there');
    const hook = receiver.received.at(-1);
    expect(hook?.headers['x-hub-signature-256']).toBe(sign(hook?.body ?? '', w.app.secret));
    expect(hook?.headers['content-type']).toBe('application/json');
    expect(hook?.json).toEqual({
      object: 'instagram',
      entry: [{
        id: w.account.igId, time: expect.any(Number),
        messaging: [{ sender: { id: w.customer.igsid }, recipient: { id: w.account.igId }, timestamp: expect.any(Number), message: { mid, text: 'Hi there' } }],
      }],
    });
  });

  it('signs with the Meta app secret when that variant is chosen', async () => {
    const w = await world(h, receiver);
    await h.client.setVariants({ webhookSecret: 'meta' });
    await h.client.sendText(w.customer.igsid, w.account.igId, 'x');
    const hook = receiver.received.at(-1);
    expect(hook?.headers['x-hub-signature-256']).toBe(sign(hook?.body ?? '', w.app.metaAppSecret));
  });

  it.each(['image', 'video', 'audio', 'file', 'share', 'ig_post', 'ig_reel', 'reel', 'story', 'ig_story', 'story_mention', 'media'] as const)(
    'delivers a %s attachment as attachments[{type, payload:{url}}]',
    async (type) => {
      const w = await world(h, receiver);
      await h.client.sendAttachment(w.customer.igsid, w.account.igId, type, 'https://lookaside.test/x');
      expect(lastItem()['message']).toMatchObject({ attachments: [{ type, payload: { url: 'https://lookaside.test/x' } }] });
    },
  );

  it('delivers attachments as a single object when that variant is chosen, and timestamps as strings', async () => {
    const w = await world(h, receiver);
    await h.client.setVariants({ attachmentsFormat: 'object', timestampFormat: 'string' });
    await h.client.storyMention(w.customer.igsid, w.account.igId, 'https://lookaside.test/story');
    expect(lastItem()['message']).toMatchObject({ attachments: { type: 'story_mention', payload: { url: 'https://lookaside.test/story' } } });
    expect(typeof lastItem()['timestamp']).toBe('string');
  });

  it('delivers a story reply, a quick reply, an inline reply and an ad referral', async () => {
    const w = await world(h, receiver);
    const first = await h.client.sendText(w.customer.igsid, w.account.igId, 'first');
    await h.client.storyReply(w.customer.igsid, w.account.igId, 'Love it', { url: 'https://lookaside.test/s', id: '1790' });
    expect(lastItem()['message']).toMatchObject({ text: 'Love it', reply_to: { story: { url: 'https://lookaside.test/s', id: '1790' } } });
    await h.client.sendQuickReply(w.customer.igsid, w.account.igId, 'Red', 'COLOR_RED');
    expect(lastItem()['message']).toMatchObject({ text: 'Red', quick_reply: { payload: 'COLOR_RED' } });
    await h.client.sendReply(w.customer.igsid, w.account.igId, 'about that', first.mid);
    expect(lastItem()['message']).toMatchObject({ reply_to: { mid: first.mid } });
    const referral = { ref: 'spring', ad_id: '6045', source: 'ADS', type: 'OPEN_THREAD', ads_context_data: { ad_title: 'Spring sale', photo_url: 'https://cdn.test/ad.jpg' } };
    await h.client.sendMessage(w.customer.igsid, { to: w.account.igId, text: 'from the ad', referral });
    expect(lastItem()['message']).toMatchObject({ referral });
  });

  it('delivers an unsend as is_deleted and an edit as message_edit with num_edit', async () => {
    const w = await world(h, receiver);
    const { mid } = await h.client.sendText(w.customer.igsid, w.account.igId, 'tpyo');
    await h.client.edit(w.customer.igsid, { to: w.account.igId, mid, text: 'typo' });
    expect(lastItem()).toMatchObject({ sender: { id: w.customer.igsid }, message_edit: { mid, text: 'typo', num_edit: 1 } });
    await h.client.unsend(w.customer.igsid, w.account.igId, mid);
    expect(lastItem()).toMatchObject({ message: { mid, is_deleted: true } });
  });

  it('does not deliver edits when the "only for Messenger" variant is chosen', async () => {
    const w = await world(h, receiver);
    await h.client.setVariants({ messageEdits: 'none' });
    const { mid } = await h.client.sendText(w.customer.igsid, w.account.igId, 'a');
    const result = await h.client.edit(w.customer.igsid, { to: w.account.igId, mid, text: 'b' });
    expect(result.deliveries).toEqual([]);
  });

  it('delivers reactions and unreactions', async () => {
    const w = await world(h, receiver);
    const t = await h.client.sendText(w.customer.igsid, w.account.igId, 'x');
    await h.client.react(w.customer.igsid, { to: w.account.igId, mid: t.mid });
    expect(lastItem()['reaction']).toEqual({ mid: t.mid, action: 'react', reaction: 'love', emoji: '\u{2764}\u{FE0F}' });
    await h.client.unreact(w.customer.igsid, w.account.igId, t.mid);
    expect(lastItem()['reaction']).toEqual({ mid: t.mid, action: 'unreact' });
  });

  it('delivers seen, postbacks and ig.me referrals', async () => {
    const w = await world(h, receiver);
    await h.client.sendText(w.customer.igsid, w.account.igId, 'x');
    const sent = await graph(h.url, '/v25.0/me/messages', { method: 'POST', token: w.token, json: { recipient: { id: w.customer.igsid }, message: { text: 'reply' } } });
    const mid = isRecord(sent.body) ? sent.body['message_id'] : undefined;
    await h.client.seen(w.customer.igsid, { to: w.account.igId });
    expect(lastItem()).toMatchObject({ sender: { id: w.customer.igsid }, read: { mid } });
    await h.client.postback(w.customer.igsid, { to: w.account.igId, title: 'Track order', payload: 'TRACK' });
    expect(lastItem()['postback']).toEqual({ mid: expect.any(String), title: 'Track order', payload: 'TRACK' });
    await h.client.referral(w.customer.igsid, { to: w.account.igId, ref: 'bio-link' });
    expect(lastItem()['referral']).toEqual({ ref: 'bio-link', source: 'IGME', type: 'OPEN_THREAD' });
  });

  it('echoes what the business typed in the Instagram app', async () => {
    const w = await world(h, receiver);
    await h.client.sendText(w.customer.igsid, w.account.igId, 'x');
    const { mid } = await h.client.businessSends(w.account.igId, { to: w.customer.igsid, text: 'from my phone' });
    expect(lastItem()).toMatchObject({ sender: { id: w.account.igId }, recipient: { id: w.customer.igsid }, message: { mid, text: 'from my phone', is_echo: true } });
  });

  it('delivers comments in entry[].changes[]', async () => {
    const w = await world(h, receiver);
    const { commentId } = await h.client.comment(w.customer.igsid, { to: w.account.igId, text: 'Nice!' });
    const json = receiver.received.at(-1)?.json;
    expect(json).toMatchObject({
      entry: [{ id: w.account.igId, changes: [{ field: 'comments', value: { id: commentId, text: 'Nice!', from: { id: w.customer.igsid, username: 'jane' } } }] }],
    });
  });

  it('sends nothing for an account that is not subscribed, a field the app does not want, or an app that is not live', async () => {
    const w = await world(h, receiver);
    const other = await h.client.createAccount();
    expect((await h.client.sendText(w.customer.igsid, other.igId, 'x')).deliveries).toEqual([]);
    await h.client.updateApp(w.app.id, { webhookFields: ['messages'] });
    const t = await h.client.sendText(w.customer.igsid, w.account.igId, 'y');
    expect((await h.client.react(w.customer.igsid, { to: w.account.igId, mid: t.mid })).deliveries).toEqual([]);
    await h.client.updateApp(w.app.id, { live: false });
    expect((await h.client.sendText(w.customer.igsid, w.account.igId, 'z')).deliveries).toEqual([]);
  });
});
