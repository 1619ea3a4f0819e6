import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { routes } from '@threadline/contract';
import { createCaller, urlOf } from './call.ts';
import { ApiError, createApiClient } from './client.ts';
import { jsonResponse } from '../test-helpers.ts';

const schema = z.object({ ok: z.boolean() });
const expired = () => jsonResponse(401, { error: { code: 'auth.session_expired', message: 'Session expired' }, request_id: 'r1' });

describe('the API client', () => {
  it('returns the parsed answer of a successful call', async () => {
    const fetch = vi.fn(async () => jsonResponse(200, { ok: true, extra: 1 }));
    const api = createApiClient({ fetch });
    expect(await api.request('GET', '/api/v1/x', { schema })).toEqual({ ok: true });
  });

  it('sends JSON bodies and query strings without empty values', async () => {
    const fetch = vi.fn(async (_url: RequestInfo | URL, _init?: RequestInit) => jsonResponse(200, { ok: true }));
    await createApiClient({ fetch }).request('POST', '/api/v1/x', { schema, body: { a: 1 }, query: { filter: 'unread', q: '', cursor: undefined } });
    const [url, init] = fetch.mock.calls[0] ?? [];
    expect(url).toBe('/api/v1/x?filter=unread');
    expect(init?.body).toBe('{"a":1}');
    expect(init?.credentials).toBe('same-origin');
  });

  it('turns the error shape into an ApiError with the code, the words and the request id', async () => {
    const fetch = vi.fn(async () => jsonResponse(429, { error: { code: 'auth.too_many_attempts', message: 'Slow down' }, request_id: 'req-9' }, { 'retry-after': '120' }));
    const err = await createApiClient({ fetch }).request('POST', '/x', { schema }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 429, code: 'auth.too_many_attempts', message: 'Slow down', requestId: 'req-9', retryAfterSeconds: 120 });
  });

  it('reports an expired session once for a burst of failing requests', async () => {
    const onUnauthorized = vi.fn();
    const api = createApiClient({ fetch: vi.fn(async () => expired()), onUnauthorized });
    await Promise.allSettled([1, 2, 3].map(() => api.request('GET', '/x', { schema })));
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    expect(onUnauthorized).toHaveBeenCalledWith(expect.objectContaining({ status: 401, code: 'auth.session_expired' }));
    api.resetUnauthorized();
    await api.request('GET', '/x', { schema }).catch(() => undefined);
    expect(onUnauthorized).toHaveBeenCalledTimes(2);
  });

  it('does not treat a wrong password (an expected 401) as an expired session', async () => {
    const onUnauthorized = vi.fn();
    const api = createApiClient({ fetch: vi.fn(async () => expired()), onUnauthorized });
    await api.request('POST', '/api/v1/ui/session', { schema, allowUnauthorized: true }).catch(() => undefined);
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it('explains an unreachable server in words', async () => {
    const api = createApiClient({ fetch: vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))) });
    await expect(api.request('GET', '/x', { schema })).rejects.toMatchObject({ code: 'network.unreachable' });
  });

  it('refuses an answer that does not match the contract', async () => {
    const api = createApiClient({ fetch: vi.fn(async () => jsonResponse(200, { ok: 'yes' })) });
    await expect(api.request('GET', '/x', { schema })).rejects.toMatchObject({ code: 'response.invalid' });
  });
});

describe('calls derived from the route table', () => {
  it('fills the path from typed parameters, sends the typed body, and parses the answer with the route’s schema', async () => {
    const fetch = vi.fn(async (_url: RequestInfo | URL, _init?: RequestInit) =>
      jsonResponse(201, { id: 'l1', account_id: 'a/1', name: 'VIP', color: '#1d4ed8', created_at: '2026-01-01T00:00:00.000Z', extra: true }),
    );
    const call = createCaller(createApiClient({ fetch }));
    const label = await call(routes.labels.create, { params: { id: 'a/1' }, body: { name: 'VIP', color: '#1d4ed8' } });
    expect(label).toEqual({ id: 'l1', account_id: 'a/1', name: 'VIP', color: '#1d4ed8', created_at: '2026-01-01T00:00:00.000Z' });
    const [url, init] = fetch.mock.calls[0] ?? [];
    expect(url).toBe('/api/v1/accounts/a%2F1/labels');
    expect(init?.method).toBe('POST');
    expect(init?.body).toBe('{"name":"VIP","color":"#1d4ed8"}');
  });

  it('refuses an answer that does not match the route’s response schema', async () => {
    const call = createCaller(createApiClient({ fetch: vi.fn(async () => jsonResponse(200, { labels: 'nope' })) }));
    await expect(call(routes.labels.list, { params: { id: 'a1' } })).rejects.toMatchObject({ code: 'response.invalid' });
  });

  it('builds navigation URLs the same way', () => {
    expect(urlOf(routes.inbox.ui.events, { query: { scope: 'all' } })).toBe('/api/v1/ui/events?scope=all');
    expect(urlOf(routes.platform.facebook.authorize, { query: { redirect: '/a b', invitation: undefined } })).toBe('/oauth/facebook/authorize?redirect=%2Fa%20b');
  });
});
