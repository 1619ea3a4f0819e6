import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { Api } from './api.ts';
import { guardedPage, launchBrowser, screenshot, type GuardedPage } from './browser.ts';
import { consent, instagramOwner, noConsoleErrors, noHorizontalScroll, noSeriousA11yViolations, PASSWORD, signIn } from './flows.ts';
import { startWorld, type World } from './world.ts';

describe('a team works the inbox together', () => {
  let world: World;
  let browser: Browser;
  let owner: GuardedPage;
  let mia: GuardedPage;
  let ownerApi: Api;
  let accountId = '';
  let ig: Awaited<ReturnType<typeof instagramOwner>>;
  const shop = () => ig.accounts[0]?.igId ?? '';
  let jane: { igsid: string };
  let tom: { igsid: string };

  beforeAll(async () => {
    [world, browser] = await Promise.all([startWorld(), launchBrowser()]);
    ownerApi = new Api(world);
    await ownerApi.setupOwner('owner', PASSWORD);
    ig = await instagramOwner(world, 'team_ig', ['team_shop']);
    jane = await world.control.createCustomer({ username: 'jane_team', name: 'Jane Team' });
    tom = await world.control.createCustomer({ username: 'tom_team', name: 'Tom Team' });
    owner = await guardedPage(browser, world.baseUrl);
    await signIn(owner.page, 'owner');
    await owner.page.getByRole('button', { name: 'Connect Instagram' }).click();
    await consent(owner.page, world, shop());
    await owner.page.getByTestId('account-switcher').filter({ hasText: '@team_shop' }).waitFor();
    accountId = (await ownerApi.accounts()).accounts[0]?.id ?? '';
    for (const [username, role] of [['mia', 'admin'], ['vic', 'viewer']] as const) {
      await ownerApi.call('POST', '/api/v1/admin/users', { username, password: PASSWORD });
      await ownerApi.call('POST', `/api/v1/accounts/${accountId}/members`, { username, role });
    }
    ownerApi.token = (await ownerApi.call<{ token: string }>('POST', '/api/v1/ui/session/switch', { account_id: accountId })).token;
    await world.control.sendText(jane.igsid, shop(), 'Is my parcel on its way?');
    await world.control.sendText(tom.igsid, shop(), 'Do you have gift cards?');
    // the rows are found by the customers' names, which come with their profiles (fetched in the background)
    for (let i = 0; ; i++) {
      const { conversations } = await ownerApi.call<{ conversations: { contact: { name: string | null } }[] }>('GET', '/api/v1/ui/conversations?status=all');
      if (conversations.filter((c) => c.contact.name).length === 2) break;
      if (i > 60) throw new Error('the customers\' profiles were not fetched');
      await new Promise((r) => setTimeout(r, 500));
    }
    await owner.page.goto('/chat');
    mia = await guardedPage(browser, world.baseUrl);
    await signIn(mia.page, 'mia');
  });
  afterAll(async () => {
    await mia?.close();
    await owner?.close();
    await browser?.close();
    await world?.close();
  });

  const row = (g: GuardedPage, text: string) => g.page.getByTestId('conversation-row').filter({ hasText: text });

  it('marks a conversation done, finds it under Done, and a new message from the customer reopens it', async () => {
    const { page } = owner;
    await page.locator('.live.open').waitFor();
    await row(owner, 'Jane Team').click();
    await page.getByTestId('mark-done').click();
    await expect.poll(() => page.getByTestId('conversation-status').textContent()).toBe('Done');
    await expect.poll(() => row(owner, 'Jane Team').count()).toBe(0);
    await page.getByTestId('status-filter').selectOption('done');
    await row(owner, 'Jane Team').waitFor();
    await page.getByTestId('status-filter').selectOption('open');
    await expect.poll(() => row(owner, 'Jane Team').count()).toBe(0);
    await world.control.sendText(jane.igsid, shop(), 'Hello? Still waiting.');
    await row(owner, 'Still waiting').waitFor({ timeout: 20_000 });
    await expect.poll(() => page.getByTestId('conversation-status').textContent()).toBe('Open');
    // a time in the past is refused, in words
    await page.getByTestId('snooze').selectOption('pick');
    await page.getByTestId('snooze-at').fill('2020-01-01T09:00');
    owner.expectFailure('/api/v1/ui/conversations/', 422);
    await page.getByRole('button', { name: 'Snooze', exact: true }).click();
    await page.getByText(/is not in the future/).waitFor();
    await page.getByTestId('snooze').selectOption('1h');
    await expect.poll(() => page.getByTestId('conversation-status').textContent()).toMatch(/^Snoozed until/);
    await page.getByTestId('reopen').click();
    await expect.poll(() => page.getByTestId('conversation-status').textContent()).toBe('Open');
    await noSeriousA11yViolations(page);
    noConsoleErrors(owner.errors);
  });

  it('assigns to a teammate, who sees it under Mine; both see each other on the thread, and who is typing', async () => {
    await mia.page.locator('.live.open').waitFor();
    await row(mia, 'Jane Team').click();
    await owner.page.getByTestId('presence').filter({ hasText: 'mia also has this open' }).waitFor({ timeout: 20_000 });
    await mia.page.getByTestId('presence').filter({ hasText: 'owner also has this open' }).waitFor({ timeout: 20_000 });
    await mia.page.getByTestId('composer').pressSequentially('On it');
    await owner.page.getByTestId('presence').filter({ hasText: 'mia is typing' }).waitFor({ timeout: 10_000 });
    await mia.page.getByTestId('composer').fill('');

    const miaOption = owner.page.getByTestId('assignee').locator('option', { hasText: 'mia' });
    await miaOption.waitFor({ state: 'attached' });
    await owner.page.getByTestId('assignee').selectOption({ label: 'mia' });
    await expect.poll(() => mia.page.getByTestId('assignee').inputValue(), { timeout: 10_000 }).not.toBe('');
    await mia.page.getByTestId('assignee-filter').selectOption('me');
    await row(mia, 'Jane Team').waitFor();
    await expect.poll(() => row(mia, 'Tom Team').count()).toBe(0);
    await mia.page.getByTestId('assignee-filter').selectOption('unassigned');
    await row(mia, 'Tom Team').waitFor();
    await mia.page.getByTestId('assignee-filter').selectOption('');
    await screenshot(owner.page, 'inbox-team');
    // the status and assignee controls fit a phone
    await mia.page.setViewportSize({ width: 390, height: 800 });
    await noHorizontalScroll(mia.page);
    await mia.page.setViewportSize({ width: 1280, height: 800 });
    await noSeriousA11yViolations(mia.page);
    noConsoleErrors(owner.errors);
    noConsoleErrors(mia.errors);
  });

  it('a viewer writes an internal note that @mentions a teammate; it never goes to Instagram; only its author edits it', async () => {
    const vic = await guardedPage(browser, world.baseUrl);
    await signIn(vic.page, 'vic');
    await row(vic, 'Jane Team').click();
    // a viewer cannot change status or assignee
    expect(await vic.page.getByTestId('mark-done').count()).toBe(0);
    await vic.page.getByTestId('note-tab').click();
    await vic.page.getByTestId('note-composer').fill('VIP: please call her back @mia');
    await vic.page.getByTestId('note-composer').press('Enter');
    await vic.page.getByTestId('note-text').filter({ hasText: 'please call her back' }).waitFor();
    // live for the others, with the mention for mia
    await owner.page.getByTestId('note-text').filter({ hasText: 'please call her back' }).waitFor({ timeout: 20_000 });
    await mia.page.getByTestId('mentions-unread').filter({ hasText: '1' }).waitFor({ timeout: 20_000 });
    expect(await owner.page.getByTestId('note').getByRole('button', { name: 'Edit' }).count()).toBe(0);
    await vic.page.getByTestId('note').getByRole('button', { name: 'Edit' }).click();
    await vic.page.getByTestId('note-edit').fill('VIP: call her back today @mia');
    await vic.page.getByRole('button', { name: 'Save' }).click();
    await owner.page.getByTestId('note-text').filter({ hasText: 'call her back today' }).waitFor({ timeout: 20_000 });
    await noSeriousA11yViolations(vic.page);
    await mia.page.getByTestId('mentions').click();
    await mia.page.getByRole('button', { name: /vic mentioned you/ }).click();
    await mia.page.getByTestId('note-text').filter({ hasText: 'call her back today' }).waitFor();
    const outbox = await world.control.outbox({ accountId: shop() });
    expect(JSON.stringify(outbox)).not.toContain('call her back');
    await vic.page.getByTestId('note').getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => owner.page.getByTestId('note').count(), { timeout: 20_000 }).toBe(0);
    noConsoleErrors(vic.errors);
    await vic.close();
  });

  it('works from the keyboard: ? lists the shortcuts, j/k move, a assigns to me, e marks done, and none fires while typing', async () => {
    const { page } = owner;
    await page.getByTestId('thread').click();
    await page.keyboard.press('?');
    await page.getByTestId('shortcuts').waitFor();
    await noSeriousA11yViolations(page);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('shortcuts').count()).toBe(0);

    await page.getByTestId('composer').fill('');
    await page.getByTestId('composer').press('e');
    await expect.poll(() => page.getByTestId('composer').inputValue()).toBe('e');
    expect(await page.getByTestId('conversation-status').textContent()).toBe('Open');
    await page.getByTestId('composer').fill('');

    const current = page.url();
    await page.getByTestId('thread').click();
    await page.keyboard.press('j');
    await expect.poll(() => page.url()).not.toBe(current);
    await page.keyboard.press('k');
    await expect.poll(() => page.url()).toBe(current);
    await page.keyboard.press('j');
    await expect.poll(() => page.url()).not.toBe(current);
    await page.getByTestId('thread').click();
    await page.keyboard.press('a');
    await expect.poll(() => page.getByTestId('assignee').locator('option:checked').textContent()).toBe('owner (me)');
    await page.keyboard.press('e');
    await expect.poll(() => page.getByTestId('conversation-status').textContent()).toBe('Done');
    await page.keyboard.press('s');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('snooze-select');
    noConsoleErrors(owner.errors);
  });

  it('turns on auto-assignment in the account settings, and a CRM changes status with a conversations:write key', async () => {
    const { page } = owner;
    await page.goto(`/settings/accounts/${accountId}`);
    await page.getByTestId('receive-conversations').check();
    await page.getByTestId('auto-assign').check();
    await page.getByText('Auto-assignment saved.').waitFor();
    await noSeriousA11yViolations(page);
    const sam = await world.control.createCustomer({ username: 'sam_team', name: 'Sam Team' });
    await world.control.sendText(sam.igsid, shop(), 'New here');
    await page.goto('/chat');
    await row(owner, 'New here').filter({ has: page.getByTestId('row-assignee') }).waitFor({ timeout: 20_000 });

    const { key } = await ownerApi.call<{ key: string }>('POST', `/api/v1/accounts/${accountId}/api-keys`, { name: 'crm', scopes: ['conversations:read', 'conversations:write'] });
    const list = await fetch(`${world.baseUrl}/api/v1/conversations`, { headers: { 'x-api-key': key } }).then((r) => r.json() as Promise<{ conversations: { id: string; contact: { username: string } }[] }>);
    const janeId = list.conversations.find((c) => c.contact.username === 'jane_team')?.id;
    const res = await fetch(`${world.baseUrl}/api/v1/conversations/${janeId}`, {
      method: 'PATCH',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'done' }),
    });
    expect(res.status).toBe(200);
    await expect.poll(() => row(owner, 'Jane Team').count(), { timeout: 20_000 }).toBe(0);
    noConsoleErrors(owner.errors);
  });
});
