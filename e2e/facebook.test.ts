import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { guardedPage, launchBrowser, screenshot } from './browser.ts';
import { facebookDialog, facebookOwner, noConsoleErrors, PASSWORD } from './flows.ts';
import { startWorld, type World } from './world.ts';

describe('Continue with Facebook', () => {
  let world: World;
  let browser: Browser;
  beforeAll(async () => {
    [world, browser] = await Promise.all([startWorld(), launchBrowser()]);
    // Past the first-run page: the login page offers both ways in once an administrator exists.
    const setup = await fetch(`${world.baseUrl}/api/v1/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: PASSWORD }),
    });
    expect(setup.status).toBe(201);
  });
  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it('signs a person with several Pages in through the Page picker, and shows the Page in the switcher and settings', async () => {
    await facebookOwner(world, 'Agency Anna', [
      { page: 'North Bakery', instagram: 'north_bakery' },
      { page: 'South Bakery', instagram: 'south_bakery' },
      { page: 'Anna Blog', instagram: null },
    ]);
    const g = await guardedPage(browser, world.baseUrl);
    await g.page.goto('/login');
    await g.page.getByRole('button', { name: 'Continue with Facebook' }).click();
    await facebookDialog(g.page, world);

    // Threadline's own page: the Pages with an Instagram account can be chosen, the other is explained.
    await g.page.getByRole('heading', { name: 'Choose the Instagram accounts to link' }).waitFor();
    await expect.poll(() => g.page.getByText('no Instagram professional account linked to this Page').count()).toBe(1);
    g.expectFailure('/oauth/facebook/pages/', 400);
    await g.page.getByRole('button', { name: 'Link the chosen accounts' }).click();
    await g.page.getByText('Choose at least one Instagram account.').waitFor();
    await g.page.getByLabel(/South Bakery/).check();
    await screenshot(g.page, 'facebook-page-picker');
    await g.page.getByRole('button', { name: 'Link the chosen accounts' }).click();

    await g.page.waitForURL(/\/chat/);
    await g.page.getByText('Instagram account connected.').waitFor();
    await expect.poll(() => g.page.getByTestId('account-switcher').textContent()).toContain('@south_bakery');
    await g.page.getByTestId('account-switcher').click();
    await expect.poll(() => g.page.getByRole('menu').getByTestId('account-path').first().textContent()).toBe('via Facebook Page “South Bakery”');
    await g.page.getByRole('menuitem', { name: 'Account settings' }).click();
    await g.page.waitForURL(/\/settings\/accounts\//);
    await expect.poll(() => g.page.getByTestId('account-path').textContent()).toContain('Facebook Page “South Bakery”');
    await g.page.getByText('Page token: does not expire (checked daily)').waitFor();

    // Signed in, the switcher's "link another account" goes through Facebook too and links a second Page to this user.
    await g.page.getByTestId('account-switcher').click();
    await g.page.getByRole('menuitem', { name: '+ Link accounts through a Facebook Page' }).click();
    await facebookDialog(g.page, world);
    await g.page.getByRole('heading', { name: 'Choose the Instagram accounts to link' }).waitFor();
    await g.page.getByLabel(/North Bakery/).check();
    await g.page.getByRole('button', { name: 'Link the chosen accounts' }).click();
    await g.page.waitForURL(/\/chat/);
    await g.page.getByText('Instagram account connected.').waitFor();
    await g.page.getByTestId('account-switcher').click();
    await expect.poll(() => g.page.getByRole('menu').textContent()).toContain('@north_bakery');
    await expect.poll(() => g.page.getByRole('menu').textContent()).toContain('@south_bakery');
    noConsoleErrors(g.errors);
    await g.close();
  });

  it('a Page without Instagram ends on a page that says how to fix it', async () => {
    await facebookOwner(world, 'Plain Paul', [{ page: 'Paul Plumbing', instagram: null }]);
    const g = await guardedPage(browser, world.baseUrl);
    await g.page.goto('/login');
    await g.page.getByRole('button', { name: 'Continue with Facebook' }).click();
    await facebookDialog(g.page, world);
    await g.page.getByRole('heading', { name: 'No Instagram account found' }).waitFor();
    await expect.poll(() => g.page.getByRole('link', { name: 'Try again' }).getAttribute('href')).toContain('rerequest=1');
    noConsoleErrors(g.errors);
    await g.close();
  });
});
