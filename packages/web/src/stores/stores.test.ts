import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { useConversationsStore, matchesFilter } from './conversations.ts';
import { useMessagesStore } from './messages.ts';
import { useSessionStore } from './session.ts';
import { conversation, jsonResponse, message } from '../test-helpers.ts';

type Handler = (url: string, init: RequestInit | undefined) => Response | Promise<Response>;
function serve(handler: Handler) {
  const fn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => handler(String(input), init));
  vi.stubGlobal('fetch', fn);
  return fn;
}

/** A signed-in session on account acc-1 (the conversations store keeps only the session account's conversations). */
async function signedIn() {
  vi.stubGlobal('fetch', vi.fn(async () => jsonResponse(200, { user_id: 'u1', username: 'alice', account_id: 'acc-1', is_admin: false, has_password: true, oauth_provider: null })));
  await useSessionStore().init();
}

beforeEach(() => {
  setActivePinia(createPinia());
  vi.unstubAllGlobals();
});

describe('the session store', () => {
  it('learns the session once for concurrent callers', async () => {
    const fetch = serve(() => jsonResponse(200, { user_id: 'u1', username: 'alice', account_id: 'a1', is_admin: true, has_password: true, oauth_provider: null }));
    const session = useSessionStore();
    await Promise.all([session.init(), session.init(), session.init()]);
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(session.status).toBe('signed_in');
    expect(session.accountId).toBe('a1');
  });

  it('offers the first-run set-up when no user exists yet', async () => {
    serve((url) =>
      url.startsWith('/api/v1/setup')
        ? jsonResponse(200, { needs_setup: true, signup_mode: 'closed' })
        : jsonResponse(401, { error: { code: 'auth.missing_token', message: 'Missing session token' }, request_id: 'r' }),
    );
    const session = useSessionStore();
    await session.init();
    expect(session.status).toBe('signed_out');
    expect(session.needsSetup).toBe(true);
    expect(session.signupMode).toBe('closed');
  });

  it('explains an expired session in words', async () => {
    serve(() => jsonResponse(200, { user_id: 'u1', username: 'alice', account_id: null, is_admin: false, has_password: true, oauth_provider: null }));
    const session = useSessionStore();
    await session.init();
    session.expire({ code: 'auth.session_expired', message: 'Session expired' });
    expect(session.status).toBe('signed_out');
    expect(session.signedOutReason).toBe('Your session expired. Sign in again.');
  });

  it('tells an expired session from another sign-out by the error code, not by its words', async () => {
    serve(() => jsonResponse(200, { user_id: 'u1', username: 'alice', account_id: null, is_admin: false, has_password: true, oauth_provider: null }));
    const session = useSessionStore();
    await session.init();
    session.expire({ code: 'auth.session_expired', message: 'Your sign-in has run out' });
    expect(session.signedOutReason).toBe('Your session expired. Sign in again.');
  });

  it('gives the server’s words for a sign-out that is not an expired session', async () => {
    serve(() => jsonResponse(200, { user_id: 'u1', username: 'alice', account_id: null, is_admin: false, has_password: true, oauth_provider: null }));
    const session = useSessionStore();
    await session.init();
    session.expire({ code: 'auth.invalid_token', message: 'Session expired' });
    expect(session.signedOutReason).toBe('You were signed out (Session expired). Sign in again.');
  });
});

describe('the conversations store', () => {
  beforeEach(signedIn);

  it('lists conversations by last activity and pages with the cursor', async () => {
    const fetch = serve((url) =>
      url.includes('cursor=p2')
        ? jsonResponse(200, { conversations: [conversation({ id: 'c3', last_message: { id: null, preview: 'old', direction: 'inbound', at: '2025-12-01T00:00:00.000Z' } })], next_cursor: null })
        : jsonResponse(200, {
            conversations: [
              conversation({ id: 'c1', last_message: { id: null, preview: 'a', direction: 'inbound', at: '2026-01-01T09:00:00.000Z' } }),
              conversation({ id: 'c2', last_message: { id: null, preview: 'b', direction: 'inbound', at: '2026-01-01T11:00:00.000Z' } }),
            ],
            next_cursor: 'p2',
          }),
    );
    const store = useConversationsStore();
    await store.reload();
    expect(store.list.map((c) => c.id)).toEqual(['c2', 'c1']);
    await Promise.all([store.loadMore(), store.loadMore()]);
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(store.list.map((c) => c.id)).toEqual(['c2', 'c1', 'c3']);
    expect(store.hasMore).toBe(false);
  });

  it('moves a conversation to the top when a live update arrives, without listing it twice', async () => {
    serve(() => jsonResponse(200, { conversations: [conversation({ id: 'c1' }), conversation({ id: 'c2', updated_at: '2026-01-01T09:00:00.000Z', last_message: null })], next_cursor: null }));
    const store = useConversationsStore();
    await store.reload();
    store.upsert(conversation({ id: 'c2', unread_count: 1, last_message: { id: 'm', preview: 'New!', direction: 'inbound', at: '2026-02-01T00:00:00.000Z' } }));
    expect(store.list.map((c) => c.id)).toEqual(['c2', 'c1']);
    expect(store.list[0]?.unread_count).toBe(1);
  });

  it('drops conversations of another account (an answer that raced an account switch)', async () => {
    serve(() => jsonResponse(200, { conversations: [conversation({ id: 'c1' }), conversation({ id: 'c9', account_id: 'acc-2' })], next_cursor: null }));
    const store = useConversationsStore();
    await store.reload();
    expect(store.list.map((c) => c.id)).toEqual(['c1']);
  });

  it('applies the filters to live updates', () => {
    expect(matchesFilter(conversation({ id: 'a', unread_count: 0 }), 'unread', '')).toBe(false);
    expect(matchesFilter(conversation({ id: 'a', unread_count: 2 }), 'unread', '')).toBe(true);
    expect(matchesFilter(conversation({ id: 'a', needs_reply: true }), 'needs_reply', 'JANE')).toBe(true);
    expect(matchesFilter(conversation({ id: 'a' }), 'all', 'nobody')).toBe(false);
    const vip = { id: 'l1', name: 'VIP', color: '#1d4ed8' };
    expect(matchesFilter(conversation({ id: 'a', labels: [vip] }), { status: 'all', labelId: 'l1' }, '')).toBe(true);
    expect(matchesFilter(conversation({ id: 'a', labels: [] }), { status: 'all', labelId: 'l1' }, '')).toBe(false);
  });

  it('applies the status and assignee filters to live updates', () => {
    const done = conversation({ id: 'a', status: 'done' });
    const mine = conversation({ id: 'b', assignee: { id: 'u1', username: 'alice' } });
    expect(matchesFilter(done, { status: 'open' }, '')).toBe(false);
    expect(matchesFilter(done, { status: 'done' }, '')).toBe(true);
    expect(matchesFilter(done, { status: 'all' }, '')).toBe(true);
    expect(matchesFilter(mine, { assignee: 'me' }, '', 'u1')).toBe(true);
    expect(matchesFilter(mine, { assignee: 'me' }, '', 'u2')).toBe(false);
    expect(matchesFilter(mine, { assignee: 'unassigned' }, '')).toBe(false);
    expect(matchesFilter(mine, { assignee: 'u1' }, '')).toBe(true);
    expect(matchesFilter(done, { assignee: 'unassigned', status: 'done', filter: 'needs_reply' }, '')).toBe(false);
  });
});

describe('the messages store', () => {
  it('shows a message once when the live event and the reload both carry it', async () => {
    serve(() => jsonResponse(200, { messages: [message({ id: 'm2', sent_at: '2026-01-01T10:05:00.000Z' }), message({ id: 'm1' })], next_cursor: null }));
    const store = useMessagesStore();
    await store.open('conv-1');
    expect(store.messages.map((m) => m.id)).toEqual(['m1', 'm2']);
    const event = { id: 7, type: 'message.received', account_id: 'acc-1', conversation_id: 'conv-1', message_id: 'm2', data: { message: message({ id: 'm2', sent_at: '2026-01-01T10:05:00.000Z', text: 'edited' }) } };
    store.applyEvent(event);
    store.applyEvent(event);
    expect(store.messages.map((m) => m.id)).toEqual(['m1', 'm2']);
    expect(store.messages[1]?.text).toBe('edited');
  });

  it('does not load the same page twice at once', async () => {
    const fetch = serve(() => jsonResponse(200, { messages: [], next_cursor: null }));
    const store = useMessagesStore();
    await Promise.all([store.open('conv-1'), store.open('conv-1')]);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('sends with an idempotency key and shows the answer in the thread', async () => {
    const fetch = serve(() => jsonResponse(201, message({ id: 'm9', direction: 'outbound', status: 'queued', text: 'Yes!' })));
    const store = useMessagesStore();
    await store.send('conv-1', { text: 'Yes!' });
    const init = fetch.mock.calls[0]?.[1];
    expect(new Headers(init?.headers).get('idempotency-key')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
