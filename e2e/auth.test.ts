import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { guardedPage, launchBrowser, screenshot } from './browser.ts';
import { consent, instagramOwner, noConsoleErrors, noHorizontalScroll, PASSWORD, signIn } from './flows.ts';
import { startWorld, type World } from './world.ts';

describe('signing in', () => {
  let world: World;
  let browser: Browser;
  beforeAll(async () => {
    [world, browser] = await Promise.all([startWorld(), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it('first run: the login page offers creating the administrator, who lands in the inbox', async () => {
    const g = await guardedPage(browser, world.baseUrl);
    await g.page.goto('/');
    await g.page.waitForURL(/\/login/);
    await expect.poll(() => g.page.getByRole('heading', { level: 1 }).textContent()).toBe('Set up Threadline');
    await g.page.getByLabel('Username').fill('owner');
    await g.page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await g.page.getByLabel('Repeat the password').fill(PASSWORD);
    await screenshot(g.page, 'setup');
    await g.page.getByRole('button', { name: 'Create administrator' }).click();
    await g.page.waitForURL(/\/chat/);
    await g.page.getByRole('heading', { name: 'Connect your Instagram account' }).waitFor();
    noConsoleErrors(g.errors);
    await g.close();
  });

  it('password login explains a wrong password, then signs in and out', async () => {
    const g = await guardedPage(browser, world.baseUrl);
    g.expectFailure('/api/v1/ui/session', 401);
    await g.page.goto('/login');
    await g.page.getByRole('heading', { name: 'Sign in to Threadline' }).waitFor();
    await g.page.getByLabel('Username').fill('owner');
    await g.page.getByLabel('Password', { exact: true }).fill('not the password');
    await g.page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => g.page.getByTestId('login-error').textContent()).toBe('Wrong username or password.');
    await g.page.getByLabel('Username').fill('');
    await screenshot(g.page, 'login');
    // signed out once the inbox has loaded what it loads on arrival (its last: the person's preferences); a request
    // of the inbox's still under way when the session ends would be refused, and Chromium logs that as an error
    const arrived = g.page.waitForResponse((r) => r.url().includes('/api/v1/ui/preferences'));
    await signIn(g.page, 'owner');
    await arrived;
    await g.page.getByTestId('sign-out').click();
    await g.page.waitForURL(/\/login/);
    await g.page.goto('/chat');
    await g.page.waitForURL(/\/login/);
    noConsoleErrors(g.errors);
    await g.close();
  });

  it('Continue with Instagram signs a new user in through the consent page', async () => {
    const { accounts } = await instagramOwner(world, 'maria_ig', ['maria_bakery']);
    const g = await guardedPage(browser, world.baseUrl);
    await g.page.goto('/login');
    await g.page.getByRole('button', { name: 'Continue with Instagram' }).click();
    await consent(g.page, world, accounts[0]?.igId ?? '');
    await g.page.waitForURL(/\/chat/);
    await expect.poll(() => g.page.getByTestId('account-switcher').textContent()).toContain('@maria_bakery');
    await g.page.getByText('Instagram account connected.').waitFor();
    noConsoleErrors(g.errors);
    await g.close();
  });

  it('a cancelled Instagram consent is explained in words', async () => {
    const { accounts } = await instagramOwner(world, 'sam_ig', ['sam_shop']);
    const g = await guardedPage(browser, world.baseUrl);
    await g.page.goto('/login');
    await g.page.getByRole('button', { name: 'Continue with Instagram' }).click();
    await consent(g.page, world, accounts[0]?.igId ?? '', 'cancel');
    await g.page.waitForURL(/\/login/);
    await expect.poll(() => g.page.getByTestId('login-notice').textContent()).toContain('You cancelled the Instagram consent');
    noConsoleErrors(g.errors);
    await g.close();
  });

  it('the login page works on a 375-pixel-wide phone', async () => {
    const g = await guardedPage(browser, world.baseUrl, { viewport: { width: 375, height: 740 } });
    await g.page.goto('/login');
    await g.page.getByRole('button', { name: 'Continue with Instagram' }).waitFor();
    await noHorizontalScroll(g.page);
    await screenshot(g.page, 'login-phone');
    noConsoleErrors(g.errors);
    await g.close();
  });
});
