import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../app.ts';

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
