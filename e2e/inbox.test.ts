import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { Api } from './api.ts';
import { guardedPage, launchBrowser, screenshot, type GuardedPage } from './browser.ts';
import { consent, instagramOwner, noConsoleErrors, noHorizontalScroll, PASSWORD, signIn } from './flows.ts';
import { startWorld, type World } from './world.ts';

// A message containing HTML is shown as text: the security suite's e2e/security/xss.test.ts.

describe('the inbox', () => {
  let world: World;
  let browser: Browser;
  let owner: GuardedPage;
  const api = () => new Api(world);
  let ig: Awaited<ReturnType<typeof instagramOwner>>;
  let jane: { igsid: string };
  let ownerApi: Api;
  const shop = () => ig.accounts[0]?.igId ?? '';
  const outlet = () => ig.accounts[1]?.igId ?? '';

  beforeAll(async () => {
    [world, browser] = await Promise.all([startWorld(), launchBrowser()]);
    ownerApi = api();
    await ownerApi.setupOwner('owner', PASSWORD);
    ig = await instagramOwner(world, 'acme_ig', ['acme_shop', 'acme_outlet']);
    jane = await world.control.createCustomer({ username: 'jane_doe', name: 'Jane Doe', followerCount: 321 });
    owner = await guardedPage(browser, world.baseUrl);
    await signIn(owner.page, 'owner');
    await owner.page.getByRole('button', { name: 'Connect Instagram' }).click();
    await consent(owner.page, world, shop());
    await owner.page.getByTestId('account-switcher').filter({ hasText: '@acme_shop' }).waitFor();
  });
  afterAll(async () => {
    await owner?.close();
    await browser?.close();
    await world?.close();
  });

  it('a customer DM appears live, and the reply reaches Instagram', async () => {
    const { page } = owner;
    await page.locator('.live.open').waitFor();
    await world.control.sendText(jane.igsid, shop(), 'Hi! Is the red one in stock?');
    // The row appears at once; the customer's name follows when Threadline has fetched the profile.
    const row = page.getByTestId('conversation-row').filter({ hasText: 'Is the red one in stock?' });
    await row.waitFor({ timeout: 20_000 });
    await row.click();
    await page.getByTestId('message-text').filter({ hasText: 'Is the red one in stock?' }).waitFor();
    await page.getByTestId('composer').fill('Yes, size M and L.');
    await page.getByTestId('composer').press('Enter');
    await page.getByTestId('message-text').filter({ hasText: 'Yes, size M and L.' }).waitFor();
    await expect
      .poll(async () => (await world.control.outbox({ accountId: shop() })).some((m) => JSON.stringify(m).includes('Yes, size M and L.')), { timeout: 20_000 })
      .toBe(true);
    await expect.poll(() => page.getByTestId('message-status').last().textContent(), { timeout: 20_000 }).toMatch(/Sent|Seen/);
    await page.getByTestId('composer').fill('A second line');
    await page.getByTestId('composer').press('Shift+Enter');
    await expect.poll(() => page.getByTestId('composer').inputValue()).toBe('A second line\n');
    await page.getByTestId('composer').fill('');
    await world.control.sendText(jane.igsid, shop(), 'Great, I will take the M 🙌');
    await page.getByTestId('message-text').filter({ hasText: 'I will take the M' }).waitFor({ timeout: 20_000 });
    await screenshot(page, 'inbox');
    noConsoleErrors(owner.errors);
  });

  it('an image from the customer is shown in the thread', async () => {
    const { page } = owner;
    await world.control.sendAttachment(jane.igsid, shop(), 'image', `${world.outsideUrl}/photo.png`);
    const image = page.locator('[data-testid="attachment"][data-kind="image"] img');
    // Mirroring happens in the background; the thread shows the stored copy once it is there.
    for (let i = 0; i < 10 && (await image.count()) === 0; i++) {
      await page.waitForTimeout(1000);
      if (i % 3 === 2) await page.reload();
    }
    await image.first().waitFor({ timeout: 15_000 });
    await expect.poll(() => image.first().evaluate((img) => (img instanceof HTMLImageElement ? img.naturalWidth : 0)), { timeout: 10_000 }).toBeGreaterThan(0);
    noConsoleErrors(owner.errors);
  });

  it('a viewer reads the conversations but cannot send', async () => {
    await ownerApi.call('POST', '/api/v1/admin/users', { username: 'viewer1', password: PASSWORD });
    const account = (await ownerApi.accounts()).accounts.find((a) => a.username === 'acme_shop');
    await ownerApi.call('POST', `/api/v1/accounts/${account?.id}/members`, { username: 'viewer1', role: 'viewer' });
    const g = await guardedPage(browser, world.baseUrl, { viewport: { width: 375, height: 740 } });
    await signIn(g.page, 'viewer1');
    const row = g.page.getByTestId('conversation-row').filter({ hasText: 'Jane Doe' });
    await row.waitFor({ timeout: 20_000 });
    await noHorizontalScroll(g.page);
    await row.click();
    await g.page.getByTestId('message-text').filter({ hasText: 'Is the red one in stock?' }).waitFor();
    expect(await g.page.getByTestId('composer').isDisabled()).toBe(true);
    await expect.poll(() => g.page.getByTestId('read-only').textContent()).toContain('view-only');
    await noHorizontalScroll(g.page);
    await screenshot(g.page, 'inbox-phone-viewer');
    noConsoleErrors(g.errors);
    await g.close();
  });

  it('links a second Instagram account and switches to it', async () => {
    const { page } = owner;
    await page.getByTestId('account-switcher').click();
    await page.getByRole('menuitem', { name: '+ Link another Instagram account' }).click();
    await consent(page, world, outlet());
    await page.waitForURL(/\/chat/);
    await page.getByTestId('account-switcher').click();
    await page.getByRole('menuitem', { name: /@acme_outlet/ }).click();
    await expect.poll(() => page.getByTestId('account-switcher').textContent()).toContain('@acme_outlet');
    await page.getByText('No conversations yet.').waitFor();
    await page.locator('.live.open').waitFor();
    await world.control.sendText(jane.igsid, outlet(), 'Do you ship to Lyon?');
    await page.getByTestId('conversation-row').filter({ hasText: 'Do you ship to Lyon?' }).waitFor({ timeout: 20_000 });
    await page.getByTestId('account-switcher').click();
    await page.getByRole('menuitem', { name: /@acme_shop/ }).click();
    await expect.poll(() => page.getByTestId('account-switcher').textContent()).toContain('@acme_shop');
    await page.getByTestId('conversation-row').filter({ hasText: 'Jane Doe' }).waitFor();
    noConsoleErrors(owner.errors);
  });

  it('shows the reconnect banner when Instagram revokes the token, and Reconnect restores the account', async () => {
    const { page } = owner;
    await world.control.revokeTokens(shop(), { subcode: 460 });
    await page.goto('/chat');
    await page.getByTestId('conversation-row').filter({ hasText: 'Jane Doe' }).click();
    await page.getByTestId('composer').fill('Are you still there?');
    await page.getByTestId('composer').press('Enter');
    // Meta answers 190: the send fails and the account needs re-authorization.
    for (let i = 0; i < 20 && !(await page.getByTestId('reauth-banner').isVisible()); i++) {
      await page.waitForTimeout(1000);
      if (i % 4 === 3) await page.reload();
    }
    await page.getByTestId('reauth-banner').waitFor({ timeout: 5_000 });
    await screenshot(page, 'reauth-banner');
    await page.getByTestId('reauth-banner').getByRole('link', { name: 'Reconnect' }).click();
    await consent(page, world, shop());
    await page.waitForURL(/\/chat/);
    await expect.poll(() => page.getByTestId('reauth-banner').count(), { timeout: 10_000 }).toBe(0);
    const account = (await ownerApi.accounts()).accounts.find((a) => a.username === 'acme_shop');
    expect(account?.status).toBe('active');
  });
});
