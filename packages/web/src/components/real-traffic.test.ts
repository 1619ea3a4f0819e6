import { afterEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import type { WebhookEvent, WebhookEventDetail } from '@threadline/contract';
import MessageBubble from './chat/message-bubble.vue';
import WebhookEventsPanel from './admin/webhook-events-panel.vue';
import { message } from '../test-helpers.ts';

// What the inbox and the administrators' view show of the variants of real traffic (§3.7).

const att = (type: string, over: Record<string, unknown> = {}) => ({ type, url: null, original_url: null, media_id: null, media_status: null, title: null, ...over });

describe('a message of real traffic', () => {
  it('shows unsupported content as such, an edit whose text could not be read, and a reply to an unknown message', () => {
    const w = mount(MessageBubble, {
      props: {
        message: message({ id: 'm', text: 'old text', unsupported: true, edited: true, edit_text_state: 'unavailable', reply_to: { mid: 'mid-gone', message_id: null, text: null, story: null } }),
        canAct: false,
      },
    });
    expect(w.get('[data-testid="message-unsupported"]').text()).toBe('Unsupported message (open Instagram to see it)');
    expect(w.get('[data-testid="message-edited"]').text()).toContain('Edited (text unavailable)');
    expect(w.get('[data-testid="reply-unknown"]').text()).toContain('Replying to an earlier message');
  });

  it('shows a heart, a shared story, post and reel as what they are, even without a URL', () => {
    const w = mount(MessageBubble, {
      props: {
        message: message({
          id: 'm',
          text: null,
          attachments: [
            att('like_heart'),
            att('ig_story', { original_url: 'https://cdn.test/story.jpg' }),
            att('ig_post', { title: 'Spring collection', original_url: 'https://cdn.test/post.jpg' }),
            att('ig_reel', { title: 'New drop' }),
          ],
        }),
        canAct: false,
      },
    });
    const items = w.findAll('[data-testid="attachment"]');
    expect(items.map((a) => a.attributes('data-kind'))).toEqual(['like_heart', 'story', 'share', 'share']);
    expect(items[0]?.get('[aria-label="Heart sticker"]').text()).toBe('❤️');
    expect(items[1]?.text()).toContain('Shared a story');
    expect(items[1]?.get('img').attributes('src')).toBe('https://cdn.test/story.jpg');
    expect(items[2]?.text()).toContain('Shared a post');
    expect(items[2]?.text()).toContain('Spring collection');
    expect(items[3]?.text()).toContain('Shared a reel');
    expect(w.text()).not.toContain('not available');
  });
});

describe('the webhook events panel', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('says per event how many items were applied, wait or were ignored, and why, item by item', async () => {
    const event: WebhookEvent = {
      id: 7, received_at: '2026-01-01T10:00:00.000Z', status: 'processed', account_ig_ids: ['1784'], event_count: 3, attempts: 1,
      last_error: '1 item(s) wait for a message', processed_at: '2026-01-01T10:00:01.000Z', size_bytes: 300,
      items: { applied: 1, waiting: 1, ignored: 1, unrouted: 0 },
    };
    const detail: WebhookEventDetail = {
      id: 7, status: 'processed', body: '{}',
      items: [
        { path: 'entry[0].messaging[0]', type: 'message', mid: 'm1', outcome: 'applied', code: null, reason: null },
        { path: 'entry[0].messaging[1]', type: 'reaction', mid: 'm0', outcome: 'waiting', code: null, reason: 'waits for message m0' },
        { path: 'entry[0].messaging[2]', type: 'unknown', mid: null, outcome: 'ignored', code: 'malformed', reason: 'no valid sender id' },
        { path: 'entry[0].messaging[3]', type: 'reaction', mid: 'm2', outcome: 'applied_later', code: null, reason: 'applied when message m2 arrived' },
        { path: 'entry[0].changes[0]', type: 'comments', mid: null, outcome: 'ignored', code: 'not_supported', reason: 'comments and mentions are not handled' },
      ],
    };
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      const body = String(url).includes('/webhook-events/7') ? detail : { events: [event], next_before: null };
      return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
    }));
    setActivePinia(createPinia());
    const w = mount(WebhookEventsPanel);
    await flushPromises();
    expect(w.get('[data-testid="event-items"]').text()).toBe('1 applied · 1 waiting for a message · 1 ignored');
    await w.findAll('button').find((b) => b.text() === 'Items')?.trigger('click');
    await flushPromises();
    const rows = w.findAll('[data-testid="event-item-list"] tbody tr');
    expect(rows.map((r) => r.attributes('data-outcome'))).toEqual(['applied', 'waiting', 'ignored', 'applied_later', 'ignored']);
    expect(rows[1]?.text()).toContain('Waiting for its message');
    // a broken item is told apart from one Threadline does not support
    expect(rows[2]?.text()).toContain('Ignored: broken item');
    expect(rows[2]?.text()).toContain('no valid sender id');
    expect(rows[3]?.text()).toContain('Applied when its message arrived');
    expect(rows[4]?.text()).toContain('Ignored: not supported');
    expect(rows[4]?.text()).toContain('comments and mentions are not handled');
  });
});
