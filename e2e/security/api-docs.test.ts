import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createTestApp, type TestApp } from '../../packages/server/test/app.ts';
import { guardedPage, launchBrowser } from '../browser.ts';

// Part of the security suite: the API reference page renders in Chromium under its own CSP, offline.
describe('the API reference page', () => {
  let t: TestApp;
  let browser: Browser;
  let baseUrl = '';
  beforeAll(async () => {
    [t, browser] = await Promise.all([createTestApp(), launchBrowser()]);
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const address = t.app.server.address();
    if (address === null || typeof address === 'string') throw new Error('the test server has no TCP address');
    baseUrl = `http://127.0.0.1:${address.port}`;
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('shows every route from /api/openapi.json with no CSP violation and no request to another origin', async () => {
    const guarded = await guardedPage(browser, baseUrl);
    const elsewhere: string[] = [];
    guarded.page.on('request', (req) => {
      if (!req.url().startsWith(baseUrl) && !req.url().startsWith('data:')) elsewhere.push(req.url());
    });
    await guarded.page.goto('/api/docs');
    await guarded.page.locator('.opblock').first().waitFor({ timeout: 30_000 });
    expect(await guarded.page.locator('.opblock').count()).toBeGreaterThan(90);
    expect(await guarded.page.getByText('/api/v1/conversations/{id}/messages').count()).toBeGreaterThan(0);
    expect(elsewhere).toEqual([]);
    expect(guarded.errors).toEqual([]);
    await guarded.close();
  });
});
