import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { graph, startReceiver, startSim, world } from '../../test/harness.ts';
import type { Harness, Receiver } from '../../test/harness.ts';

// The shapes of real traffic (§3.7): the `variants` setting and the control call that emits one of them.

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
const lastEntry = (): Record<string, unknown> => {
  const json = receiver.received.at(-1)?.json;
  const entry = isRecord(json) && Array.isArray(json['entry']) ? json['entry'][0] : undefined;
  return isRecord(entry) ? entry : {};
};
const lastItem = (list = 'messaging'): Record<string, unknown> => {
  const items = lastEntry()[list];
  const item = Array.isArray(items) ? items[0] : undefined;
  return isRecord(item) ? item : {};
};

describe('the variants setting of real traffic', () => {
  it('sends times in seconds, ids as bare JSON numbers, and items in standby[]', async () => {
    const w = await world(h, receiver);
    await h.client.setVariants({ timestampUnit: 'seconds', idFormat: 'number', eventList: 'standby' });
    await h.client.sendText(w.customer.igsid, w.account.igId, 'hi');
    const body = receiver.received.at(-1)?.body ?? '';
    expect(body).toContain(`"id":${w.account.igId}`);
    expect(body).toContain(`"sender":{"id":${w.customer.igsid}}`);
    expect(lastEntry()['time']).toBeLessThan(1e11);
    expect(lastItem('standby')['timestamp']).toBeLessThan(1e11);
    expect(lastEntry()['messaging']).toBeUndefined();
  });

  it('sends unsends with is_deleted "true", edits without text and num_edit as strings or 0-based', async () => {
    const w = await world(h, receiver);
    const { mid } = await h.client.sendText(w.customer.igsid, w.account.igId, 'first');
    await h.client.setVariants({ editText: 'omitted', numEditFormat: 'zero-based' });
    await h.client.edit(w.customer.igsid, { to: w.account.igId, mid, text: 'second' });
    expect(lastItem()['message_edit']).toEqual({ mid, num_edit: 0 });
    await h.client.setVariants({ editText: 'included', numEditFormat: 'string' });
    await h.client.edit(w.customer.igsid, { to: w.account.igId, mid, text: 'third' });
    expect(lastItem()['message_edit']).toEqual({ mid, num_edit: '2', text: 'third' });
    await h.client.setVariants({ isDeletedFormat: 'string' });
    await h.client.unsend(w.customer.igsid, w.account.igId, mid);
    expect(lastItem()['message']).toEqual({ mid, is_deleted: 'true' });
  });

  it('sends reactions with the emoji alone, seen receipts without sender and twice, to messages it never delivered', async () => {
    const w = await world(h, receiver);
    await h.client.setVariants({ reactionFormat: 'emoji_only', seenSender: 'omitted', seenRedelivery: true });
    await h.client.react(w.customer.igsid, { to: w.account.igId, mid: 'aWdfZAG1never-delivered', emoji: '😂' });
    expect(lastItem()['reaction']).toEqual({ mid: 'aWdfZAG1never-delivered', action: 'react', emoji: '😂' });
    const old = await h.client.businessSends(w.account.igId, { to: w.customer.igsid, text: 'from before', deliver: false });
    const before = receiver.received.length;
    await h.client.seen(w.customer.igsid, { to: w.account.igId, mid: old.mid });
    expect(receiver.received.length - before).toBe(2);
    expect(lastItem()).toEqual({ recipient: { id: w.account.igId }, timestamp: expect.any(Number), read: { mid: old.mid } });
    const items = receiver.received.slice(-2).map((r) => (isRecord(r.json) && Array.isArray(r.json['entry']) ? r.json['entry'][0] : null));
    expect(items[0]).toMatchObject({ messaging: (items[1] as Record<string, unknown>)['messaging'] });
  });

  it('sends unsupported content as an unsupported_type attachment, and a shared post as share and ig_post', async () => {
    const w = await world(h, receiver);
    await h.client.setVariants({ unsupportedFormat: 'attachment', shareFormat: 'both' });
    await h.client.sendMessage(w.customer.igsid, { to: w.account.igId, isUnsupported: true });
    expect(lastItem()['message']).toEqual({ mid: expect.any(String), attachments: [{ type: 'unsupported_type', payload: { url: expect.any(String) } }] });
    await h.client.share(w.customer.igsid, w.account.igId, 'https://cdn.test/post.jpg');
    expect(lastItem()['message']).toMatchObject({
      attachments: [
        { type: 'share', payload: { url: 'https://cdn.test/post.jpg' } },
        { type: 'ig_post', payload: { ig_post_media_id: expect.any(String), url: 'https://cdn.test/post.jpg' } },
      ],
    });
  });

  it('answers Graph errors as IGApiException, with 403 for a code 10', async () => {
    const w = await world(h, receiver);
    await h.client.setVariants({ graphErrorType: 'IGApiException' });
    const res = await graph(h.url, '/v25.0/me/messages', { method: 'POST', token: w.token, json: { recipient: { id: w.customer.igsid }, message: { text: 'hello' } } });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: { message: expect.any(String), type: 'IGApiException', code: 10, error_subcode: 2534022, fbtrace_id: expect.any(String) } });
  });
});

describe('POST /_sim/customers/:id/variants', () => {
  it('sends each message-creating variant as it is, and answers the message lookup for it', async () => {
    const w = await world(h, receiver);
    const heart = await h.client.emitVariant(w.customer.igsid, { to: w.account.igId, variant: 'like_heart' });
    expect(lastItem()['message']).toEqual({ mid: heart.mid, attachments: [{ type: 'like_heart' }] });
    await h.client.emitVariant(w.customer.igsid, { to: w.account.igId, variant: 'ig_story' });
    expect(lastItem()['message']).toMatchObject({ attachments: [{ type: 'ig_story', payload: { story_media_id: expect.any(String), story_media_url: expect.any(String) } }] });
    await h.client.emitVariant(w.customer.igsid, { to: w.account.igId, variant: 'ig_reel' });
    expect(lastItem()['message']).toMatchObject({ attachments: [{ type: 'ig_reel', payload: { reel_video_id: expect.any(String), title: 'New drop' } }] });
    await h.client.emitVariant(w.customer.igsid, { to: w.account.igId, variant: 'unsupported_flag' });
    expect(lastItem()['message']).toMatchObject({ is_unsupported: true });
    await h.client.emitVariant(w.customer.igsid, { to: w.account.igId, variant: 'timestamp_seconds', text: 'in seconds' });
    expect(lastItem()['timestamp']).toMatch(/^\d{10}$/);

    const text = await h.client.emitVariant(w.customer.igsid, { to: w.account.igId, variant: 'standby', text: 'original' });
    expect(lastItem('standby')['message']).toEqual({ mid: text.mid, text: 'original' });
    await h.client.emitVariant(w.customer.igsid, { to: w.account.igId, variant: 'edit_without_text', mid: text.mid ?? '', text: 'edited' });
    expect(lastItem()['message_edit']).toEqual({ mid: text.mid, num_edit: 0 });
    const lookup = await graph(h.url, `/v25.0/${text.mid}?fields=id,created_time,from,to,message,attachments`, { token: w.token });
    expect(lookup.body).toMatchObject({ id: text.mid, message: 'edited', from: { id: w.customer.igsid }, to: { data: [{ id: w.account.igId }] } });
  });

  it('sends seen receipts without sender, and redelivered, for a message it has', async () => {
    const w = await world(h, receiver);
    const old = await h.client.businessSends(w.account.igId, { to: w.customer.igsid, text: 'hello', deliver: false });
    await h.client.emitVariant(w.customer.igsid, { to: w.account.igId, variant: 'seen_without_sender', mid: old.mid });
    expect(lastItem()).toEqual({ recipient: { id: w.account.igId }, timestamp: expect.any(Number), read: { mid: old.mid } });
    const before = receiver.received.length;
    await h.client.emitVariant(w.customer.igsid, { to: w.account.igId, variant: 'seen_redelivered', mid: old.mid });
    expect(receiver.received.length - before).toBe(2);
    await expect(h.client.emitVariant(w.customer.igsid, { to: w.account.igId, variant: 'seen_without_sender', mid: 'nope' })).rejects.toMatchObject({ status: 404 });
  });
});
