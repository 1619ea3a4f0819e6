import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia } from 'pinia';
import MessageBubble from './chat/message-bubble.vue';
import MessageComposer from './chat/message-composer.vue';
import type { Conversation } from '@threadline/contract';
import { conversation, message } from '../test-helpers.ts';

const XSS = '<img src=x onerror=alert(1)>';

describe('a message bubble', () => {
  it('shows message text containing HTML as text, never as markup', () => {
    const w = mount(MessageBubble, { props: { message: message({ id: 'm1', text: XSS }), canAct: true } });
    expect(w.find('[data-testid="message-text"]').text()).toBe(XSS);
    expect(w.find('img').exists()).toBe(false);
  });

  it('says who wrote an outbound message: a teammate, the API or the Instagram app', () => {
    const byApi = mount(MessageBubble, { props: { message: message({ id: 'm', direction: 'outbound', status: 'sent', author: { type: 'api_key', id: 'k', name: 'HubSpot' } }), canAct: true } });
    expect(byApi.text()).toContain('API · HubSpot');
    const byApp = mount(MessageBubble, { props: { message: message({ id: 'm', direction: 'outbound', status: 'read', author: { type: 'instagram_app', id: null, name: null } }), canAct: true } });
    expect(byApp.text()).toContain('Instagram app');
    expect(byApp.text()).toContain('Seen');
  });

  it('shows Meta’s reason of a failed message and offers a retry', async () => {
    const w = mount(MessageBubble, {
      props: {
        message: message({ id: 'm', direction: 'outbound', status: 'failed', author: { type: 'user', id: 'u', name: 'alice' }, error: { code: 10, subcode: 2534022, message: 'Outside of allowed window' } }),
        canAct: true,
      },
    });
    expect(w.text()).toContain('Outside of allowed window (Meta error 10/2534022)');
    await w.get('button.btn').trigger('click');
    expect(w.emitted('retry')).toEqual([['m']]);
  });

  it('marks unsent and edited messages', () => {
    expect(mount(MessageBubble, { props: { message: message({ id: 'a', deleted: true }), canAct: false } }).text()).toContain('This message was unsent.');
    expect(mount(MessageBubble, { props: { message: message({ id: 'b', edited: true }), canAct: false } }).text()).toContain('Edited');
  });

  it('renders attachments by type', () => {
    const w = mount(MessageBubble, {
      props: {
        message: message({
          id: 'm',
          text: null,
          attachments: [
            { type: 'image', url: '/api/v1/media/1', original_url: null, media_id: '1', media_status: 'stored', title: null },
            { type: 'video', url: '/api/v1/media/2', original_url: null, media_id: '2', media_status: 'stored', title: null },
            { type: 'audio', url: '/api/v1/media/3', original_url: null, media_id: '3', media_status: 'stored', title: null },
            { type: 'story_mention', url: '/api/v1/media/4', original_url: null, media_id: '4', media_status: 'stored', title: null },
          ],
        }),
        canAct: false,
      },
    });
    expect(w.findAll('[data-testid="attachment"]').map((a) => a.attributes('data-kind'))).toEqual(['image', 'video', 'audio', 'story_mention']);
    expect(w.find('video').exists()).toBe(true);
    expect(w.find('audio').exists()).toBe(true);
    expect(w.text()).toContain('Mentioned you in their story');
  });
});

describe('the composer', () => {
  const props: { conversation: Conversation; canSend: boolean; readOnlyReason: string | null; now: Date } = {
    conversation: conversation({ id: 'c1' }),
    canSend: true,
    readOnlyReason: null,
    now: new Date('2026-01-01T12:00:00.000Z'),
  };
  const mountComposer = (p: typeof props) => mount(MessageComposer, { props: p, global: { plugins: [createPinia()] } });
  afterEach(() => vi.unstubAllGlobals());

  it('opens the canned-reply picker on /, filters as you type, and inserts the filled reply', async () => {
    const reply = (id: string, shortcut: string, text: string) => ({ id, account_id: 'acc-1', shortcut, text, created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z' });
    const calls: string[] = [];
    vi.stubGlobal('fetch', vi.fn(async (input: RequestInfo | URL) => {
      const url = String(input);
      calls.push(url);
      const body = url.endsWith('/fill')
        ? { text: 'Hi Jane Doe, we ship today.', bytes: 27 }
        : { canned_replies: [reply('r1', 'ship', 'Hi {{contact.name}}, we ship today.'), reply('r2', 'hello', 'Hello!')] };
      return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
    }));
    const w = mountComposer(props);
    const box = w.get('textarea');
    await box.setValue('/');
    await flushPromises();
    expect(w.findAll('[role="option"]').map((o) => o.text())).toEqual(['/hello Hello!', '/ship Hi {{contact.name}}, we ship today.']);
    await box.setValue('/sh');
    expect(w.findAll('[role="option"]')).toHaveLength(1);
    expect(box.attributes('aria-activedescendant')).toBe('canned-option-r1');
    await box.trigger('keydown', { key: 'Enter' });
    await flushPromises();
    expect(box.element instanceof HTMLTextAreaElement && box.element.value).toBe('Hi Jane Doe, we ship today.');
    expect(calls.some((c) => c.endsWith('/api/v1/ui/conversations/c1/canned-replies/r1/fill'))).toBe(true);
    expect(w.emitted('send')).toBeUndefined();
    expect(w.find('[data-testid="canned-picker"]').exists()).toBe(false);
  });

  it('sends on Enter and keeps Shift+Enter for a new line', async () => {
    const w = mountComposer(props);
    const box = w.get('textarea');
    await box.setValue('Hello there');
    await box.trigger('keydown', { key: 'Enter', shiftKey: true });
    expect(w.emitted('send')).toBeUndefined();
    await box.trigger('keydown', { key: 'Enter' });
    expect(w.emitted('send')?.[0]?.[0]).toEqual({ text: 'Hello there' });
  });

  it('shows the bytes left and refuses text over 1000 bytes', async () => {
    const w = mountComposer(props);
    await w.get('textarea').setValue('é'.repeat(501));
    expect(w.get('[data-testid="bytes-left"]').text()).toContain('-2 / 1000');
    expect(w.get('button[type="submit"]').attributes('disabled')).toBeDefined();
  });

  it('shows the time left in the 24-hour window', () => {
    const w = mountComposer(props);
    expect(w.get('[data-testid="window-state"]').text()).toBe('Window open: 22h 0m left');
  });

  it('does not let a viewer send, and says why', () => {
    const w = mountComposer({ ...props, canSend: false, readOnlyReason: 'You have view-only access to this account.' });
    expect(w.get('textarea').attributes('disabled')).toBeDefined();
    expect(w.text()).toContain('view-only');
  });
});

describe('the source of the web app', () => {
  it('never uses v-html or innerHTML', () => {
    const root = path.resolve(import.meta.dirname, '..');
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = path.join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.(vue|ts)$/.test(name) && !name.endsWith('.test.ts')) files.push(p);
      }
    };
    walk(root);
    expect(files.length).toBeGreaterThan(10);
    const offenders = files.filter((f) => /v-html|innerHTML|insertAdjacentHTML/.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
