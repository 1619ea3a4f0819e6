import { describe, expect, it } from 'vitest';
import { parseJsonPreservingBigInts, parseMetaWebhook } from './webhook-payload.ts';
import type { NormalizedEvent } from './webhook-payload.ts';

// The variants of real traffic (platform reference §3.7), each parsed into what it is.

const ACCOUNT = '17841400000000001';
const CUSTOMER = '1100000000000001';
const item = (body: Record<string, unknown>, parties: Record<string, unknown> = { sender: { id: CUSTOMER }, recipient: { id: ACCOUNT } }) => ({
  ...parties,
  timestamp: 1700000000000,
  ...body,
});

function events(items: unknown[], list: 'messaging' | 'standby' = 'messaging'): NormalizedEvent[] {
  const parsed = parseMetaWebhook({ object: 'instagram', entry: [{ id: ACCOUNT, time: 1700000000000, [list]: items }] });
  if (parsed.kind !== 'instagram') throw new Error('invalid');
  return parsed.entries.flatMap((e) => e.events);
}
const one = (body: Record<string, unknown>, parties?: Record<string, unknown>) => events([item(body, parties)])[0];

describe('real-traffic variants of message items', () => {
  it('reads is_deleted as true or "true" as an unsend, and "false" as an ordinary message', () => {
    expect(one({ message: { mid: 'm1', is_deleted: true } })).toMatchObject({ type: 'message_deleted', mid: 'm1' });
    expect(one({ message: { mid: 'm1', is_deleted: 'true' } })).toMatchObject({ type: 'message_deleted', mid: 'm1' });
    expect(one({ message: { mid: 'm1', text: 'hi', is_deleted: 'false' } })).toMatchObject({ type: 'message', text: 'hi' });
  });

  it('reads both shapes of unsupported content as an unsupported message, with nothing to mirror', () => {
    expect(one({ message: { mid: 'm', is_unsupported: true } })).toMatchObject({ type: 'message', isUnsupported: true, attachments: [] });
    const viaAttachment = one({ message: { mid: 'm', attachments: [{ type: 'unsupported_type', payload: { url: 'https://lookaside.test/u' } }] } });
    expect(viaAttachment).toMatchObject({ type: 'message', isUnsupported: true });
    expect(viaAttachment?.type === 'message' && viaAttachment.attachments[0]).toEqual({ type: 'unsupported_type', payload: { url: 'https://lookaside.test/u' } });
  });

  it('reads attachments without payload.url as what they are, with the media URL where there is one', () => {
    const ev = one({
      message: {
        mid: 'm',
        attachments: [
          { type: 'like_heart' },
          { type: 'ig_story', payload: { story_media_id: '1790', story_media_url: 'https://cdn.test/story.mp4' } },
          { type: 'ig_reel', payload: { reel_video_id: '1801', title: 'New drop' } },
        ],
      },
    });
    if (ev?.type !== 'message') throw new Error('not a message');
    expect(ev.attachments).toEqual([
      { type: 'like_heart', payload: null },
      { type: 'ig_story', url: 'https://cdn.test/story.mp4', payload: { story_media_id: '1790', story_media_url: 'https://cdn.test/story.mp4' } },
      { type: 'ig_reel', payload: { reel_video_id: '1801', title: 'New drop' } },
    ]);
  });

  it('reads a post shared as both share and ig_post as one ig_post', () => {
    const post = { ig_post_media_id: '1802', title: 'Spring look', url: 'https://cdn.test/post.jpg' };
    const ev = one({ message: { mid: 'm', attachments: [{ type: 'share', payload: { url: 'https://cdn.test/post.jpg' } }, { type: 'ig_post', payload: post }] } });
    expect(ev?.type === 'message' && ev.attachments).toEqual([{ type: 'ig_post', url: 'https://cdn.test/post.jpg', payload: post }]);
    const sameUrl = one({ message: { mid: 'm', attachments: [{ type: 'ig_post', payload: { url: 'https://cdn.test/p' } }, { type: 'share', payload: { url: 'https://cdn.test/p' } }] } });
    expect(sameUrl?.type === 'message' && sameUrl.attachments.map((a) => a.type)).toEqual(['ig_post']);
  });
});

describe('real-traffic variants of other items', () => {
  it('reads a message_edit without text, and num_edit as a number or a string', () => {
    expect(one({ message_edit: { mid: 'm', num_edit: 0 } })).toEqual(expect.objectContaining({ type: 'message_edit', mid: 'm', numEdit: 0 }));
    const edit = one({ message_edit: { mid: 'm', num_edit: '2', text: 'fixed' } });
    expect(edit).toMatchObject({ type: 'message_edit', numEdit: 2, text: 'fixed' });
    expect(one({ message_edit: { mid: 'm', num_edit: 0 } })).not.toHaveProperty('text');
  });

  it('reads a reaction with an emoji and no reaction name, and one without action as a react', () => {
    expect(one({ reaction: { mid: 'm', action: 'react', emoji: '👍' } })).toEqual(
      expect.objectContaining({ type: 'reaction', action: 'react', emoji: '👍' }),
    );
    expect(one({ reaction: { mid: 'm', action: 'react', emoji: '👍' } })).not.toHaveProperty('reaction');
    expect(one({ reaction: { mid: 'm', emoji: '😂' } })).toMatchObject({ type: 'reaction', action: 'react', emoji: '😂' });
    expect(one({ reaction: { mid: 'm' } })).toMatchObject({ type: 'unknown', reason: 'malformed_item' });
  });

  it('reads a seen receipt without sender, to be matched by its mid', () => {
    expect(one({ read: { mid: 'm' } }, { recipient: { id: ACCOUNT } })).toMatchObject({
      type: 'read', mid: 'm', senderId: null, contactIgsid: null, recipientId: ACCOUNT, direction: 'inbound',
    });
    expect(one({ read: { mid: 'm' } }, {})).toMatchObject({ type: 'read', recipientId: ACCOUNT, contactIgsid: null });
    // every other kind still needs its sender
    expect(one({ message: { mid: 'm', text: 'x' } }, { recipient: { id: ACCOUNT } })).toMatchObject({ type: 'unknown', reason: 'invalid_sender' });
  });

  it('reads ids sent as big JSON numbers without losing a digit, and items of standby[]', () => {
    const body = parseJsonPreservingBigInts(
      `{"object":"instagram","entry":[{"id":17841400000000001,"time":1700000000,"standby":[{"sender":{"id":1100000000000000123},"recipient":{"id":17841400000000001},"timestamp":"1700000000","message":{"mid":"m","text":"hi"}}]}]}`,
    );
    const parsed = parseMetaWebhook(body);
    if (parsed.kind !== 'instagram') throw new Error('invalid');
    expect(parsed.entries[0]).toMatchObject({ id: ACCOUNT, time: 1700000000000 });
    expect(parsed.entries[0]?.events[0]).toMatchObject({
      type: 'message', source: 'standby', senderId: '1100000000000000123', contactIgsid: '1100000000000000123',
      timestamp: 1700000000000, path: 'entry[0].standby[0]',
    });
  });
});
