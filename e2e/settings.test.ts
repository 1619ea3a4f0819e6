import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { Api } from './api.ts';
import { guardedPage, launchBrowser, screenshot, type GuardedPage } from './browser.ts';
import { consent, instagramOwner, noConsoleErrors, PASSWORD, signIn } from './flows.ts';
import { startWorld, type World } from './world.ts';

describe('account settings', () => {
  let world: World;
  let browser: Browser;
  let owner: GuardedPage;
  let accountId = '';
  let igId = '';

  beforeAll(async () => {
    [world, browser] = await Promise.all([startWorld({ env: { CRM_ALLOWED_NETWORKS: '127.0.0.1/32' } }), launchBrowser()]);
    const api = new Api(world);
    await api.setupOwner('owner', PASSWORD);
    const ig = await instagramOwner(world, 'acme_ig', ['acme_shop']);
    owner = await guardedPage(browser, world.baseUrl);
    await signIn(owner.page, 'owner');
    await owner.page.getByRole('button', { name: 'Connect Instagram' }).click();
    igId = ig.accounts[0]?.igId ?? '';
    await consent(owner.page, world, igId);
    await owner.page.getByTestId('account-switcher').filter({ hasText: '@acme_shop' }).waitFor();
    accountId = (await api.accounts()).accounts[0]?.id ?? '';
  });
  afterAll(async () => {
    await owner?.close();
    await browser?.close();
    await world?.close();
  });

  it('refuses a private CRM address in words, then sends a signed test event that shows in the delivery log', async () => {
    const { page } = owner;
    owner.expectFailure(`/api/v1/accounts/${accountId}`, 400);
    await page.goto(`/settings/accounts/${accountId}`);
    await page.getByLabel('Webhook URL').fill('not a url');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByTestId('crm-url-error').textContent()).toContain('Enter a full URL');
    await page.getByLabel('Webhook URL').fill('http://10.1.2.3/hooks');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByTestId('crm-url-error').textContent()).toContain('Threadline refuses this URL');
    await page.getByLabel('Webhook URL').fill(`${world.outsideUrl}/crm/hooks`);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('CRM webhook URL saved.').waitFor();
    await page.getByRole('button', { name: 'Send test event' }).click();
    await expect.poll(() => page.getByTestId('crm-test-result').textContent(), { timeout: 20_000 }).toContain('Test event delivered: HTTP 200');
    expect(world.crmHits.length).toBeGreaterThan(0);
    expect(world.crmHits[0]?.headers['webhook-signature']).toMatch(/^v1,/);
    await expect.poll(() => page.getByTestId('delivery-log').textContent()).toContain('succeeded');
    await screenshot(page, 'settings');
    await page.getByRole('button', { name: 'Reveal' }).click();
    await expect.poll(() => page.getByTestId('webhook-secret').textContent()).toMatch(/^whsec_/);
    noConsoleErrors(owner.errors);
  });

  it('creates an API key shown once, which works until it is revoked', async () => {
    const { page } = owner;
    await page.goto(`/settings/accounts/${accountId}`);
    await page.getByLabel('Name', { exact: true }).fill('HubSpot bridge');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByTestId('new-api-key').locator('code').textContent()) ?? '';
    expect(key).toMatch(/^tl_/);
    const read = () => fetch(`${world.baseUrl}/api/v1/conversations`, { headers: { 'x-api-key': key } }).then((r) => r.status);
    expect(await read()).toBe(200);
    await page.getByRole('button', { name: 'Done' }).click();
    const row = page.getByTestId('api-keys').locator('tr', { hasText: 'HubSpot bridge' });
    await expect.poll(() => row.textContent()).toContain('Active');
    await row.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await expect.poll(() => row.textContent()).toContain('Revoked');
    expect(await read()).toBe(401);
    noConsoleErrors(owner.errors);
  });

  it('lets an administrator see users and failed webhook events', async () => {
    const { page } = owner;
    await page.goto('/admin');
    await expect.poll(() => page.getByTestId('users').textContent()).toContain('owner');
    await page.getByTestId('webhook-events').waitFor();
    noConsoleErrors(owner.errors);
  });

  it('shows an administrator which items of an event wait for a message Threadline never received', async () => {
    const { page } = owner;
    const customer = await world.control.createCustomer({ username: 'early_bird' });
    // a reaction to a message from before the account was connected (§3.7)
    await world.control.react(customer.igsid, { to: igId, mid: 'aWdfZAG1-before-the-connection', emoji: '👍' });
    const waiting = page.getByTestId('webhook-events').locator('tr', { hasText: '0 applied · 1 waiting for a message' });
    // the list is read when shown: show it again until the worker has processed the event
    await expect
      .poll(async () => {
        await page.goto('/admin');
        await page.getByLabel('Status').selectOption('processed');
        await page.getByTestId('webhook-events').locator('tbody tr').first().waitFor();
        return waiting.count();
      }, { timeout: 30_000 })
      .toBe(1);
    await waiting.getByRole('button', { name: 'Items' }).click();
    const item = page.getByTestId('event-item-list').locator('tr[data-outcome="waiting"]');
    await expect.poll(() => item.textContent()).toContain('Waiting for its message');
    expect(await item.textContent()).toContain('aWdfZAG1-before-the-connection');
    noConsoleErrors(owner.errors);
  });
});
