import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, setupAdmin, type TestApp } from '../../../test/app.ts';

describe('bad input gets a clear 4xx in the one error shape, and nothing is written', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ BODY_LIMIT_BYTES: '2048' });
  });
  afterAll(async () => t.close());

  const expectErrorShape = (body: unknown, code: string) => {
    expect(body).toEqual({ error: { code, message: expect.any(String) }, request_id: expect.any(String) });
  };

  it('malformed JSON', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/setup', headers: { 'content-type': 'application/json' }, payload: '{"username":' });
    expect(res.statusCode).toBe(400);
    expectErrorShape(res.json(), 'request.malformed_json');
  });

  it('unknown fields', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/setup', payload: { username: 'someone', password: 'long-enough-pw', is_admin: false } });
    expect(res.statusCode).toBe(400);
    expectErrorShape(res.json(), 'request.invalid');
    expect(res.json().error.message).toContain('is_admin');
  });

  it('an oversized body', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/setup', payload: { username: 'someone', password: 'x'.repeat(5000) } });
    expect(res.statusCode).toBe(413);
    expectErrorShape(res.json(), 'request.too_large');
  });

  it('a weak password at setup', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/setup', payload: { username: 'someone', password: 'short' } });
    expect(res.statusCode).toBe(400);
    expectErrorShape(res.json(), 'request.invalid');
  });

  it('an unknown route', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/nothing-here' });
    expect(res.statusCode).toBe(404);
    expectErrorShape(res.json(), 'http.not_found');
  });

  it('after all of the above, setup is still open: nothing was written', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/setup' })).json()).toEqual({ needs_setup: true, signup_mode: 'invite' });
    await setupAdmin(t);
  });

  it('answers liveness and readiness', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).json()).toMatchObject({ status: 'ok' });
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', database: 'ok', migrations: 'ok' });
  });

  it('exports counters and latency histograms for Prometheus on /metrics', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/# TYPE threadline_crm_\w+ (counter|histogram)/);
  });

  it('echoes a request id on every answer', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'req-123456789' } });
    expect(res.headers['x-request-id']).toBe('req-123456789');
  });
});
