import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, setupAdmin, type TestApp } from '../app.ts';
import { createAccount } from '../factories.ts';
import { META_ENV, postSigned } from '../meta.ts';

describe('transport: HSTS follows PUBLIC_BASE_URL', () => {
  let https: TestApp;
  let http: TestApp;
  beforeAll(async () => {
    [https, http] = await Promise.all([createTestApp({ PUBLIC_BASE_URL: 'https://inbox.example.com' }), createTestApp()]);
  });
  afterAll(async () => Promise.all([https.close(), http.close()]));

  it('sends Strict-Transport-Security on every answer when the public URL is https, and never over plain http', async () => {
    for (const url of ['/healthz', '/api/v1/setup', '/api/v1/ui/me', '/nowhere']) {
      const res = await https.app.inject({ method: 'GET', url });
      expect(res.headers['strict-transport-security'], url).toBe('max-age=63072000; includeSubDomains');
    }
    expect((await http.app.inject({ method: 'GET', url: '/healthz' })).headers['strict-transport-security']).toBeUndefined();
  });
});

describe('transport: Meta\'s webhooks are limited to what Meta sends (1 MiB) by default', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(META_ENV);
  });
  afterAll(async () => t.close());

  /** A signed webhook body of exactly `bytes` bytes. */
  const bodyOf = (bytes: number) => {
    const shell = JSON.stringify({ object: 'instagram', entry: [], pad: '' });
    return JSON.stringify({ object: 'instagram', entry: [], pad: 'x'.repeat(bytes - shell.length) });
  };

  it('takes a signed body of 1 MiB and refuses one byte more with 413', async () => {
    expect(t.config.webhooks.bodyLimitBytes).toBe(1024 * 1024);
    expect(Buffer.byteLength(bodyOf(1024 * 1024))).toBe(1024 * 1024);
    expect((await postSigned(t, null, { raw: bodyOf(1024 * 1024) })).statusCode).toBe(200);
    expect((await postSigned(t, null, { raw: bodyOf(1024 * 1024 + 1) })).statusCode).toBe(413);
  });
});

/** A raw connection that writes `text` and reports when the server closed it, and what it answered. */
function rawConnection(port: number, text: string) {
  const socket = net.connect(port, '127.0.0.1');
  const state = { closedAt: null as number | null, answer: '' };
  socket.on('data', (d: Buffer) => (state.answer += d.toString()));
  socket.on('close', () => (state.closedAt = Date.now()));
  socket.on('error', () => undefined);
  socket.write(text);
  return { state, destroy: () => socket.destroy() };
}

async function waitFor(check: () => boolean, ms: number) {
  const start = Date.now();
  while (!check() && Date.now() - start < ms) await new Promise((r) => setTimeout(r, 50));
  return check();
}

describe('transport: slow and idle clients are cut off', () => {
  let t: TestApp;
  let port = 0;
  beforeAll(async () => {
    t = await createTestApp({ HTTP_HEADERS_TIMEOUT_SECONDS: '1', HTTP_REQUEST_TIMEOUT_SECONDS: '2', HTTP_IDLE_TIMEOUT_SECONDS: '2', REALTIME_HEARTBEAT_SECONDS: '1' });
    await t.startWorkers();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.server.address();
    port = typeof address === 'object' && address ? address.port : 0;
  });
  afterAll(async () => t.close());

  it('a client that never finishes its headers is answered 408 and closed', async () => {
    const c = rawConnection(port, 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n');
    expect(await waitFor(() => c.state.closedAt !== null, 5_000)).toBe(true);
    expect(c.state.answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('an idle connection is closed', async () => {
    const c = rawConnection(port, '');
    expect(await waitFor(() => c.state.closedAt !== null, 6_000)).toBe(true);
  });

  it('a live stream outlives the idle timeout: its heartbeat keeps it busy', async () => {
    const admin = await setupAdmin(t);
    await createAccount(t.database.db, { members: [{ userId: admin.user_id, role: 'owner', isPrimary: true }] });
    const { token } = await login(t, 'admin', 'correct horse battery');
    const controller = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/ui/events`, { headers: { ...bearer(token), accept: 'text/event-stream' }, signal: controller.signal });
    expect(res.status).toBe(200);
    let ended = false;
    const reading = (async () => {
      const reader = res.body?.getReader();
      for (;;) if (!reader || (await reader.read()).done) break;
    })()
      .catch(() => undefined)
      .finally(() => (ended = true));
    await new Promise((r) => setTimeout(r, 3_500));
    expect(ended).toBe(false);
    controller.abort();
    await reading;
  });

  it('refuses settings that would cut live streams or leave the server without a timeout', async () => {
    const { loadConfig } = await import('../../src/config.ts');
    const base = { SESSION_SECRET: 'a-strong-test-secret-0123456789-ABCDEFGHIJ', DATA_DIR: '/tmp/unused' };
    expect(() => loadConfig({ ...base, REALTIME_HEARTBEAT_SECONDS: '90', HTTP_IDLE_TIMEOUT_SECONDS: '60' })).toThrow(/REALTIME_HEARTBEAT_SECONDS/);
    expect(() => loadConfig({ ...base, HTTP_HEADERS_TIMEOUT_SECONDS: '0' })).toThrow(/HTTP_HEADERS_TIMEOUT_SECONDS/);
  });
});
