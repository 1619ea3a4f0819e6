import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { Api } from './api.ts';
import { noSeriousAxeViolations } from './axe.ts';
import { guardedPage, launchBrowser, screenshot, type GuardedPage } from './browser.ts';
import { consent, facebookDialog, facebookOwner, instagramOwner, noConsoleErrors, noHorizontalScroll, PASSWORD, signIn } from './flows.ts';
import { startWorld, type World } from './world.ts';

describe('teammates: invitation links, password change, password reset', () => {
  let world: World;
  let browser: Browser;
  let owner: GuardedPage;
  let accountId = '';
  let inviteLink = '';

  beforeAll(async () => {
    [world, browser] = await Promise.all([startWorld(), launchBrowser()]);
    const api = new Api(world);
    await api.setupOwner('owner', PASSWORD);
    const ig = await instagramOwner(world, 'team_ig', ['team_shop']);
    owner = await guardedPage(browser, world.baseUrl);
    await signIn(owner.page, 'owner');
    await owner.page.getByRole('button', { name: 'Connect Instagram' }).click();
    await consent(owner.page, world, ig.accounts[0]?.igId ?? '');
    await owner.page.getByTestId('account-switcher').filter({ hasText: '@team_shop' }).waitFor();
    accountId = (await api.accounts()).accounts[0]?.id ?? '';
  });
  afterAll(async () => {
    await owner?.close();
    await browser?.close();
    await world?.close();
  });

  it('an owner makes an invitation link in the members settings; a teammate signs up with it and joins as viewer', async () => {
    const { page } = owner;
    await page.goto(`/settings/accounts/${accountId}`);
    const panel = page.getByTestId('invitations');
    await panel.getByLabel('Role').selectOption('viewer');
    await panel.getByRole('button', { name: 'Create invitation link' }).click();
    inviteLink = await page.getByTestId('invitation-link').inputValue();
    expect(inviteLink).toMatch(/\/invite#[A-Za-z0-9_-]{40,}$/);
    await expect.poll(() => page.getByTestId('invitation-list').textContent()).toContain('pending');
    await noSeriousAxeViolations(page, 'account settings with an invitation link');

    const teammate = await guardedPage(browser, world.baseUrl, { viewport: { width: 390, height: 800 } });
    await teammate.page.goto(inviteLink);
    await expect.poll(() => teammate.page.getByTestId('invite-summary').textContent()).toContain('@team_shop as viewer');
    await teammate.page.getByRole('button', { name: 'Join with Instagram' }).waitFor();
    await noHorizontalScroll(teammate.page);
    await screenshot(teammate.page, 'invitation');
    await noSeriousAxeViolations(teammate.page, 'the invitation page');
    await teammate.page.getByLabel('Username').fill('newbie');
    await teammate.page.getByLabel('Password', { exact: true }).fill('newbie-password-1');
    await teammate.page.getByLabel('Repeat the password').fill('newbie-password-1');
    await teammate.page.getByRole('button', { name: 'Create my user and join' }).click();
    await teammate.page.waitForURL(/\/chat/);
    await expect.poll(() => teammate.page.getByTestId('account-switcher').textContent()).toContain('@team_shop');
    noConsoleErrors(teammate.errors);
    await teammate.close();

    await page.reload();
    await expect.poll(() => page.getByTestId('invitation-list').textContent()).toContain('used by newbie');
    await expect.poll(() => page.getByTestId('members').textContent()).toContain('newbie');
    noConsoleErrors(owner.errors);
  });

  it('a used link says so in words', async () => {
    const late = await guardedPage(browser, world.baseUrl);
    late.expectFailure('/api/v1/invitations/lookup', 400);
    await late.page.goto(inviteLink);
    await expect.poll(() => late.page.getByTestId('invite-invalid').textContent()).toContain('already used');
    await noSeriousAxeViolations(late.page, 'a used invitation link');
    noConsoleErrors(late.errors);
    await late.close();
  });

  it('whoever opens a link may join with Instagram or with Facebook instead of a password, with its role', async () => {
    const { page } = owner;
    const invite = async (role: 'viewer' | 'admin') => {
      await page.goto(`/settings/accounts/${accountId}`);
      const panel = page.getByTestId('invitations');
      await panel.getByLabel('Role').selectOption(role);
      await panel.getByRole('button', { name: 'Create invitation link' }).click();
      return page.getByTestId('invitation-link').inputValue();
    };
    const mine = (p: Page) =>
      p.evaluate(async () => ((await (await fetch('/api/v1/accounts/me')).json()) as { accounts: { username: string; role: string }[] }).accounts);

    const ig = await instagramOwner(world, 'ines_ig', ['ines_studio']);
    const viaInstagram = await guardedPage(browser, world.baseUrl);
    await viaInstagram.page.goto(await invite('viewer'));
    await viaInstagram.page.getByRole('button', { name: 'Join with Instagram' }).click();
    await consent(viaInstagram.page, world, ig.accounts[0]?.igId ?? '');
    await viaInstagram.page.waitForURL(/\/chat/);
    await expect.poll(() => mine(viaInstagram.page)).toContainEqual(expect.objectContaining({ username: 'team_shop', role: 'viewer' }));
    noConsoleErrors(viaInstagram.errors);
    await viaInstagram.close();

    await facebookOwner(world, 'Fay Invited', [{ page: 'Fay Page', instagram: 'fay_shop' }]);
    const viaFacebook = await guardedPage(browser, world.baseUrl);
    await viaFacebook.page.goto(await invite('admin'));
    await viaFacebook.page.getByRole('button', { name: 'Join with Facebook' }).click();
    await facebookDialog(viaFacebook.page, world);
    await viaFacebook.page.waitForURL(/\/chat/);
    await expect.poll(() => mine(viaFacebook.page)).toContainEqual(expect.objectContaining({ username: 'team_shop', role: 'admin' }));
    noConsoleErrors(viaFacebook.errors);
    await viaFacebook.close();

    await page.reload();
    await expect.poll(async () => ((await page.getByTestId('invitation-list').textContent()) ?? '').match(/used by/g)?.length).toBe(3);
    noConsoleErrors(owner.errors);
  });

  it('a member changes their own password in the settings', async () => {
    const g = await guardedPage(browser, world.baseUrl);
    await signIn(g.page, 'newbie', 'newbie-password-1');
    await g.page.goto('/settings');
    const panel = g.page.getByTestId('password-panel');
    await panel.waitFor();
    await noSeriousAxeViolations(g.page, 'the settings page with its password panel');
    await panel.getByLabel('Current password').fill('newbie-password-1');
    await panel.getByLabel('New password', { exact: true }).fill('newbie-password-2');
    await panel.getByLabel('Repeat the new password').fill('newbie-password-2');
    await panel.getByRole('button', { name: 'Change password' }).click();
    await g.page.getByText('Password changed.').waitFor();
    await g.page.getByTestId('sign-out').click();
    await g.page.waitForURL(/\/login/);
    await signIn(g.page, 'newbie', 'newbie-password-2');
    noConsoleErrors(g.errors);
    await g.close();
  });

  it('an administrator issues a one-time reset link; opening it sets a new password', async () => {
    const { page } = owner;
    await page.goto('/admin');
    await page.getByTestId('users').getByRole('row', { name: /newbie/ }).getByRole('button', { name: 'Reset password' }).click();
    const link = await page.getByLabel('Password-reset link').inputValue();
    expect(link).toMatch(/\/reset-password#[A-Za-z0-9_-]{40,}$/);
    await noSeriousAxeViolations(page, 'the admin page with a password-reset link');

    const g = await guardedPage(browser, world.baseUrl);
    await g.page.goto(link);
    await g.page.getByText('For the user newbie.').waitFor();
    await noSeriousAxeViolations(g.page, 'the password-reset page');
    await g.page.getByLabel('New password', { exact: true }).fill('newbie-password-3');
    await g.page.getByLabel('Repeat the new password').fill('newbie-password-3');
    await g.page.getByRole('button', { name: 'Set password' }).click();
    await g.page.getByTestId('reset-done').waitFor();
    await signIn(g.page, 'newbie', 'newbie-password-3');
    noConsoleErrors(g.errors);
    await g.close();
    noConsoleErrors(owner.errors);
  });
});
