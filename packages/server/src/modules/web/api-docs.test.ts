import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { allRoutes } from '../../../test/routes.ts';

type Operation = { security?: unknown[]; parameters?: { name: string; in: string }[]; requestBody?: unknown; responses?: Record<string, unknown> };

describe('the API reference', () => {
  let t: TestApp;
  let doc: { openapi: string; paths: Record<string, Record<string, Operation>> };
  beforeAll(async () => {
    t = await createTestApp();
    const res = await t.app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/json');
    doc = res.json();
  });
  afterAll(async () => t.close());

  it('is a valid OpenAPI 3.1 document, served without a session', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('describes known routes with their methods, parameters and security', () => {
    const list = doc.paths['/api/v1/conversations']?.get;
    expect(list?.security).toEqual([{ apiKey: [] }]);
    expect(list?.parameters?.map((p) => p.name)).toEqual(expect.arrayContaining(['filter', 'cursor', 'limit']));
    const send = doc.paths['/api/v1/messages']?.post;
    expect(send?.requestBody).toBeDefined();
    expect(Object.keys(send?.responses ?? {})).toContain('202');
    const labels = doc.paths['/api/v1/accounts/{id}/labels']?.post;
    expect(labels?.security).toEqual([{ sessionBearer: [] }, { sessionCookie: [] }]);
    expect(labels?.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path' })]);
    expect(doc.paths['/api/v1/setup']?.get?.security).toEqual([]);
  });

  it('lists every route the server registers under /api, so the table cannot drift from the server', () => {
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`)),
    );
    const served = allRoutes(t.app)
      .filter((r) => r.method !== 'HEAD' && r.path.startsWith('/api/'))
      .map((r) => `${r.method} ${r.path}`);
    expect(served.length).toBeGreaterThan(90);
    expect(served.filter((r) => !documented.has(r))).toEqual([]);
  });

  it('has a reference page whose assets come from this server, under a strict CSP', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/api/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(csp).toContain("frame-ancestors 'none'");
    const sources = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(sources.length).toBeGreaterThan(2);
    expect(page.body).not.toMatch(/<script>|<style>|\son\w+=/);
    for (const source of sources) {
      expect(source.startsWith('/api/docs/assets/')).toBe(true);
      const asset = await t.app.inject({ method: 'GET', url: source });
      expect(asset.statusCode, source).toBe(200);
    }
    const missing = await t.app.inject({ method: 'GET', url: '/api/docs/assets/..%2Fpackage.json' });
    expect(missing.statusCode).toBe(400);
    const unknown = await t.app.inject({ method: 'GET', url: '/api/docs/assets/index.html' });
    expect(unknown.statusCode).toBe(404);
  });
});
