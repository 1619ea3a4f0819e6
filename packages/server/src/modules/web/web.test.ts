import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer, type App } from '../../http/server.ts';
import { createLogger } from '../../shared/logger.ts';
import { CONTENT_SECURITY_POLICY, webRoutes } from './web.routes.ts';

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="app"></div></body></html>';

async function appWith(distDir: string): Promise<App> {
  const app = createHttpServer({ logger: createLogger('silent', false), bodyLimitBytes: 1024, trustProxy: false, hsts: false });
  app.get('/api/v1/probe', async () => ({ ok: true }));
  await app.register(webRoutes, { distDir });
  await app.ready();
  return app;
}

describe('serving the built web app', () => {
  let dir: string;
  let app: App;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'threadline-web-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), INDEX);
    writeFileSync(path.join(dir, 'assets/index-abc123.js'), 'console.log(1)');
    writeFileSync(path.join(dir, 'assets/index-abc123.css'), 'body{}');
    writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    app = await appWith(dir);
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves index.html with a strict Content-Security-Policy that allows no inline script', async () => {
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('<div id="app">');
    expect(res.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval');
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it('answers client routes such as /chat/123 and /settings/accounts/x with the app (SPA fallback)', async () => {
    for (const url of ['/chat', '/chat/8c3b', '/settings/accounts/abc?tab=crm', '/login?oauth=error&reason=access_denied']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toContain('<div id="app">');
    }
  });

  it('serves hashed assets with their content type and a year-long immutable cache', async () => {
    const js = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/^(text|application)\/javascript/);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const css = await app.inject({ method: 'GET', url: '/assets/index-abc123.css' });
    expect(css.headers['content-type']).toMatch(/^text\/css/);
  });

  it('serves top-level public files such as the favicon', async () => {
    const res = await app.inject({ method: 'GET', url: '/favicon.svg' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^image\/svg\+xml/);
  });

  it('keeps the JSON 404 of the API for unknown API paths, missing assets and missing files', async () => {
    for (const url of ['/api/v1/nothing-here', '/assets/missing-1234.js', '/oauth/unknown', '/robots.txt']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error.code, url).toBe('http.not_found');
    }
    expect((await app.inject({ method: 'GET', url: '/api/v1/probe' })).json()).toEqual({ ok: true });
  });

  it('does not serve files outside the build through path tricks', async () => {
    const res = await app.inject({ method: 'GET', url: '/assets/..%2f..%2fetc%2fpasswd' });
    expect(res.statusCode).not.toBe(200);
    const res2 = await app.inject({ method: 'GET', url: '/..%2findex.html' });
    expect(res2.body).not.toContain('root:');
  });
});

describe('before the web app is built', () => {
  it('explains in words how to build it, with a 503', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'threadline-web-empty-'));
    const app = await appWith(empty);
    try {
      const res = await app.inject({ method: 'GET', url: '/chat' });
      expect(res.statusCode).toBe(503);
      expect(res.body).toContain('npm run build');
      expect((await app.inject({ method: 'GET', url: '/api/v1/nope' })).statusCode).toBe(404);
    } finally {
      await app.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
