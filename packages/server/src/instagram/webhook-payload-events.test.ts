import { describe, expect, it } from 'vitest';
import {
  FIXTURE_ACCOUNT_IG_ID as ACCOUNT,
  FIXTURE_CUSTOMER_IGSID as CUSTOMER,
  loadMetaWebhookFixture,
} from '../../test/fixtures/meta-webhooks/load-fixture.ts';
import { parseMetaWebhook, resolveDirection } from './webhook-payload.ts';
import type { NormalizedEvent } from './webhook-payload.ts';

type EventOfType<T extends NormalizedEvent['type']> = Extract<NormalizedEvent, { type: T }>;

function isType<T extends NormalizedEvent['type']>(event: NormalizedEvent, type: T): event is EventOfType<T> {
  return event.type === type;
}

/** The single event of a one-event fixture, checked to be of the expected type. */
function onlyEvent<T extends NormalizedEvent['type']>(fixture: string, type: T): EventOfType<T> {
  const parsed = parseMetaWebhook(loadMetaWebhookFixture(fixture).body);
  if (parsed.kind !== 'instagram') throw new Error(`fixture ${fixture} parsed as invalid: ${parsed.reason}`);
  expect(parsed.entries).toHaveLength(1);
  const events = parsed.entries[0]?.events ?? [];
  expect(events).toHaveLength(1);
  const event = events[0];
  if (event === undefined || !isType(event, type)) throw new Error(`expected a ${type}, got ${event?.type}`);
  return event;
}

const inboundParties = {
  source: 'messaging',
  accountIgId: ACCOUNT,
  senderId: CUSTOMER,
  recipientId: ACCOUNT,
  contactIgsid: CUSTOMER,
  direction: 'inbound',
  timestamp: 1569262485349,
  path: 'entry[0].messaging[0]',
};

describe('message events', () => {
  it('normalises an inbound text message with its parties and the original item', () => {
    const event = onlyEvent('message-text', 'message');
    const { body } = loadMetaWebhookFixture('message-text');
    expect(event).toEqual({
      ...inboundParties,
      type: 'message',
      mid: 'aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQx',
      text: 'Hello, is this still available?',
      attachments: [],
      isEcho: false,
      isSelf: false,
      isUnsupported: false,
      raw: expect.objectContaining({ timestamp: 1569262485349 }),
    });
    expect(body).toMatchObject({ entry: [{ messaging: [event.raw] }] });
    expect('replyTo' in event || 'quickReply' in event || 'referral' in event).toBe(false);
  });

  it('keeps every documented attachment type, unknown types and payload-less stickers', () => {
    const event = onlyEvent('message-attachments-every-type', 'message');
    expect(event.attachments.map((attachment) => attachment.type)).toEqual([
      'image', 'video', 'audio', 'file', 'share', 'ig_post', 'ig_reel', 'reel', 'story', 'ig_story',
      'story_mention', 'media', 'hologram', 'like_heart',
    ]);
    expect(event.attachments[0]).toEqual({
      type: 'image',
      url: 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=image',
      payload: { url: 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=image' },
    });
    expect(event.attachments[6]?.payload).toMatchObject({ title: 'Our new collection', reel_video_id: '18012345678901234' });
    expect(event.attachments[12]).toEqual({
      type: 'hologram',
      url: 'https://example.test/holo',
      payload: { shape: 'cube', url: 'https://example.test/holo' },
    });
    expect(event.attachments[13]).toEqual({ type: 'like_heart', payload: null });
    expect(event.text).toBeUndefined();
  });

  it('turns a single attachment object into a one-item list', () => {
    const event = onlyEvent('message-attachment-single-object', 'message');
    expect(event.attachments).toEqual([
      {
        type: 'image',
        url: 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=single',
        payload: { url: 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=single' },
      },
    ]);
  });

  it('reads a story mention as an attachment of type story_mention', () => {
    const event = onlyEvent('message-story-mention', 'message');
    expect(event.attachments).toEqual([
      expect.objectContaining({ type: 'story_mention', url: 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=mention' }),
    ]);
  });

  it('treats an echo as outbound, with the customer as recipient', () => {
    const event = onlyEvent('message-echo', 'message');
    expect(event).toMatchObject({
      isEcho: true,
      direction: 'outbound',
      senderId: ACCOUNT,
      recipientId: CUSTOMER,
      contactIgsid: CUSTOMER,
      accountIgId: ACCOUNT,
      text: 'Thanks, yes it is!',
    });
  });

  it('reports an unsent message as message_deleted', () => {
    expect(onlyEvent('message-deleted', 'message_deleted')).toEqual({
      ...inboundParties,
      type: 'message_deleted',
      mid: 'mid.deleted.1',
      raw: expect.anything(),
    });
  });

  it('flags self-messaging tests and keeps them inbound', () => {
    const event = onlyEvent('message-self', 'message');
    expect(event).toMatchObject({ isSelf: true, direction: 'inbound', contactIgsid: ACCOUNT, text: 'testing' });
  });

  it('flags unsupported messages', () => {
    const event = onlyEvent('message-unsupported', 'message');
    expect(event).toMatchObject({ isUnsupported: true, mid: 'mid.unsupported.1', attachments: [] });
  });

  it('reads a quick reply payload', () => {
    expect(onlyEvent('message-quick-reply', 'message')).toMatchObject({ text: 'Red', quickReply: { payload: 'COLOR_RED' } });
  });

  it('reads an inline reply to a message', () => {
    expect(onlyEvent('message-reply-to-message', 'message').replyTo).toEqual({ mid: 'mid.original.1' });
  });

  it('reads a reply to a story', () => {
    expect(onlyEvent('message-reply-to-story', 'message').replyTo).toEqual({
      story: { url: 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=story', id: '17900000000000001' },
    });
  });

  it('reads a click-to-Direct ad referral on a message', () => {
    expect(onlyEvent('message-ad-referral', 'message').referral).toEqual({
      ref: 'summer-sale',
      adId: '6123456789012',
      source: 'ADS',
      type: 'OPEN_THREAD',
      adsContextData: {
        adTitle: 'Summer sale',
        photoUrl: 'https://example.test/ad.jpg',
        videoUrl: 'https://example.test/ad.mp4',
      },
    });
  });

  it('keeps a message whose optional fields are malformed, dropping only those fields', () => {
    const parsed = parseMetaWebhook(loadMetaWebhookFixture('malformed-items-in-batch').body);
    if (parsed.kind !== 'instagram') throw new Error('expected instagram');
    const last = parsed.entries[0]?.events.at(-1);
    expect(last).toMatchObject({ type: 'message', mid: 'mid.good.2', text: 'good after' });
    expect(last && 'replyTo' in last).toBe(false);
    expect(last && 'quickReply' in last).toBe(false);
  });
});

describe('other event kinds', () => {
  it('reads an edited message', () => {
    expect(onlyEvent('message-edit', 'message_edit')).toEqual({
      ...inboundParties,
      type: 'message_edit',
      mid: 'mid.edited.1',
      text: 'Hello, is this still available today?',
      numEdit: 1,
      raw: expect.anything(),
    });
  });

  it('reads a reaction with its emoji', () => {
    expect(onlyEvent('reaction-react', 'reaction')).toEqual({
      ...inboundParties,
      type: 'reaction',
      mid: 'mid.reacted.1',
      action: 'react',
      reaction: 'love',
      emoji: '\u{2764}\u{FE0F}',
      raw: expect.anything(),
    });
  });

  it('reads an unreact, which carries no reaction or emoji', () => {
    const event = onlyEvent('reaction-unreact', 'reaction');
    expect(event).toMatchObject({ action: 'unreact', mid: 'mid.reacted.1' });
    expect('reaction' in event || 'emoji' in event).toBe(false);
  });

  it('reads a seen receipt', () => {
    expect(onlyEvent('read', 'read')).toMatchObject({ ...inboundParties, type: 'read', mid: 'mid.echo.1' });
  });

  it('reads a postback from an ice breaker', () => {
    expect(onlyEvent('postback', 'postback')).toMatchObject({
      ...inboundParties,
      type: 'postback',
      mid: 'mid.postback.1',
      title: 'Track my order',
      payload: 'ICEBREAKER_TRACK_ORDER',
    });
  });

  it('reads an ig.me link referral', () => {
    expect(onlyEvent('referral', 'referral')).toMatchObject({
      ...inboundParties,
      type: 'referral',
      referral: { ref: 'spring-campaign', source: 'IGME', type: 'OPEN_THREAD' },
    });
  });

  it('flags events from standby as such', () => {
    expect(onlyEvent('standby', 'message')).toMatchObject({ source: 'standby', mid: 'mid.standby.1' });
  });
});

describe('resolveDirection', () => {
  it('is outbound for echoes and for items the account sent to someone else', () => {
    expect(resolveDirection('A', 'C', 'A', true)).toBe('outbound');
    expect(resolveDirection('A', 'A', 'C', false)).toBe('outbound');
  });

  it('is inbound for items from a customer and for self-messaging', () => {
    expect(resolveDirection('A', 'C', 'A', false)).toBe('inbound');
    expect(resolveDirection('A', 'A', 'A', false)).toBe('inbound');
  });
});
