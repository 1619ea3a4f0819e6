import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { Api } from '../api.ts';
import { guardedPage, launchBrowser, type GuardedPage } from '../browser.ts';
import { consent, instagramOwner, noConsoleErrors, PASSWORD, signIn } from '../flows.ts';
import { startWorld, type World } from '../world.ts';

const XSS = '<img src=x onerror=alert(1)>';

// Part of the security suite (npm run test:security): everything a customer writes is shown as text in Chromium.
describe('what customers send is escaped in the browser', () => {
  let world: World;
  let browser: Browser;
  let owner: GuardedPage;
  let shop = '';
  let dialogs = 0;

  beforeAll(async () => {
    [world, browser] = await Promise.all([startWorld(), launchBrowser()]);
    await new Api(world).setupOwner('owner', PASSWORD);
    const ig = await instagramOwner(world, 'acme_ig', ['acme_shop']);
    shop = ig.accounts[0]?.igId ?? '';
    owner = await guardedPage(browser, world.baseUrl);
    owner.page.on('dialog', (d) => {
      dialogs += 1;
      void d.dismiss();
    });
    await signIn(owner.page, 'owner');
    await owner.page.getByRole('button', { name: 'Connect Instagram' }).click();
    await consent(owner.page, world, shop);
    await owner.page.getByTestId('account-switcher').filter({ hasText: '@acme_shop' }).waitFor();
  });
  afterAll(async () => {
    await owner?.close();
    await browser?.close();
    await world?.close();
  });

  it('a message and a customer name containing HTML are shown as text, never run', async () => {
    const { page } = owner;
    const customer = await world.control.createCustomer({ username: 'mallory', name: XSS });
    await world.control.sendText(customer.igsid, shop, XSS);
    const row = page.getByTestId('conversation-row').filter({ hasText: XSS });
    await row.first().waitFor({ timeout: 20_000 });
    await row.first().click();
    await page.getByTestId('message-text').filter({ hasText: XSS }).waitFor({ timeout: 20_000 });
    // the name arrives when Threadline has fetched the profile
    await expect.poll(async () => (await page.getByTestId('conversation-row').first().textContent()) ?? '', { timeout: 20_000 }).toContain(XSS);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(dialogs).toBe(0);
    noConsoleErrors(owner.errors);
  });
});
