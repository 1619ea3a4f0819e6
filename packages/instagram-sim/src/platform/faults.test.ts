import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { graph, startSim, world } from '../../test/harness.ts';
import type { Harness } from '../../test/harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await startSim();
});
afterEach(async () => h.close());

describe('injected faults', () => {
  it('answers a named Graph error once, then recovers', async () => {
    const w = await world(h);
    await h.client.injectFault({ type: 'error', error: 'tokenExpired', match: { pathIncludes: '/me' } });
    const failed = await graph(h.url, '/v25.0/me', { token: w.token });
    expect(failed.status).toBe(400);
    expect(failed.body).toMatchObject({ error: { code: 190, error_subcode: 463, type: 'OAuthException', fbtrace_id: expect.any(String) } });
    expect((await graph(h.url, '/v25.0/me', { token: w.token })).status).toBe(200);
    expect(await h.client.faults()).toEqual([]);
  });

  it.each([
    ['unknown', 1, 500],
    ['serviceUnavailable', 2, 503],
  ] as const)('injects the temporary error %s (code %i) as transient', async (error, code, status) => {
    const w = await world(h);
    await h.client.injectFault({ type: 'error', error });
    const res = await graph(h.url, '/v25.0/me', { token: w.token });
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ error: { code, is_transient: true } });
  });

  it('injects a revoked token by code and subcode for a chosen account only, several times', async () => {
    const w = await world(h);
    const other = await h.client.createAccount();
    const { access_token: otherToken } = await h.client.issueToken({ appId: w.app.id, accountId: other.igId });
    await h.client.injectFault({ type: 'error', code: 190, subcode: 460, message: 'password changed', match: { accountId: w.account.igId }, times: 2 });
    expect((await graph(h.url, '/v25.0/me', { token: otherToken })).status).toBe(200);
    for (let i = 0; i < 2; i += 1)
      expect((await graph(h.url, '/v25.0/me', { token: w.token })).body).toMatchObject({ error: { code: 190, error_subcode: 460, message: 'password changed' } });
    expect((await graph(h.url, '/v25.0/me', { token: w.token })).status).toBe(200);
  });

  it('answers a bare 5xx', async () => {
    const w = await world(h);
    await h.client.injectFault({ type: 'status', httpStatus: 502 });
    const res = await graph(h.url, '/v25.0/me', { token: w.token });
    expect(res.status).toBe(502);
  });

  it('slows an answer down and still answers it', async () => {
    const w = await world(h);
    await h.client.injectFault({ type: 'delay', delayMs: 30, match: { method: 'GET' } });
    expect((await graph(h.url, '/v25.0/me', { token: w.token })).status).toBe(200);
    expect(await h.client.faults()).toEqual([]);
  });

  it('answers faults on the token endpoint in the OAuth error shape', async () => {
    await h.client.injectFault({ type: 'error', error: 'serviceUnavailable', match: { pathIncludes: '/oauth/access_token' } });
    const res = await graph(h.url, '/oauth/access_token', { method: 'POST', form: { client_id: '1' } });
    expect(res.body).toEqual({ error_type: 'OAuthException', code: 503, error_message: expect.any(String) });
  });

  it('keeps a fault with times 0 until it is cleared, and never touches the control API', async () => {
    const w = await world(h);
    await h.client.injectFault({ type: 'status', httpStatus: 500, times: 0 });
    expect((await graph(h.url, '/v25.0/me', { token: w.token })).status).toBe(500);
    expect((await graph(h.url, '/v25.0/me', { token: w.token })).status).toBe(500);
    await h.client.clearFaults();
    expect((await graph(h.url, '/v25.0/me', { token: w.token })).status).toBe(200);
  });

  it('rejects an unknown error name', async () => {
    await expect(h.client.injectFault({ type: 'error', error: 'nope' })).rejects.toMatchObject({ status: 400, code: 'sim.invalid_request' });
  });
});
