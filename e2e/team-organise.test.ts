import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { Api } from './api.ts';
import { noSeriousAxeViolations } from './axe.ts';
import { guardedPage, launchBrowser, type GuardedPage } from './browser.ts';
import { consent, instagramOwner, noConsoleErrors, noHorizontalScroll, PASSWORD, signIn } from './flows.ts';
import { PNG, startWorld, type World } from './world.ts';

/** A team organises the inbox: labels, canned replies. */
describe('team inbox', () => {
  let world: World;
  let browser: Browser;
  let owner: GuardedPage;
  let ownerApi: Api;
  let ig: Awaited<ReturnType<typeof instagramOwner>>;
  let accountId = '';
  const shop = () => ig.accounts[0]?.igId ?? '';
  const outlet = () => ig.accounts[1]?.igId ?? '';
  let janeIgsid = '';

  beforeAll(async () => {
    [world, browser] = await Promise.all([startWorld({ env: { CRM_ALLOWED_NETWORKS: '127.0.0.1/32' } }), launchBrowser()]);
    ownerApi = new Api(world);
    await ownerApi.setupOwner('owner', PASSWORD);
    ig = await instagramOwner(world, 'acme_ig', ['acme_shop', 'acme_outlet']);
    owner = await guardedPage(browser, world.baseUrl);
    await signIn(owner.page, 'owner');
    await owner.page.getByRole('button', { name: 'Connect Instagram' }).click();
    await consent(owner.page, world, shop());
    await owner.page.getByTestId('account-switcher').filter({ hasText: '@acme_shop' }).waitFor();
    accountId = (await ownerApi.accounts()).accounts[0]?.id ?? '';
    await ownerApi.call('PATCH', `/api/v1/accounts/${accountId}`, { crm_webhook_url: `${world.outsideUrl}/crm/hooks` });
  });
  afterAll(async () => {
    await owner?.close();
    await browser?.close();
    await world?.close();
  });

  it('labels: made in settings, set on a conversation, shown in the list, filtered by, heard by the CRM', async () => {
    const { page } = owner;
    const jane = await world.control.createCustomer({ username: 'jane_doe', name: 'Jane Doe', followerCount: 987, isUserFollowBusiness: true });
    janeIgsid = jane.igsid;
    const tom = await world.control.createCustomer({ username: 'tom_tailor', name: 'Tom Tailor' });
    await world.control.sendText(jane.igsid, shop(), 'Do you ship to Lyon?');
    await world.control.sendText(tom.igsid, shop(), 'Just browsing');

    await page.goto(`/settings/accounts/${accountId}`);
    await page.getByLabel('New label name').fill('VIP');
    await page.getByRole('button', { name: 'Add label' }).click();
    await page.getByTestId('labels').getByText('VIP').waitFor();
    await page.getByLabel('New label name').fill('Shipping');
    await page.getByRole('button', { name: 'Add label' }).click();
    await page.getByTestId('labels').getByText('Shipping').waitFor();
    owner.expectFailure(`/api/v1/accounts/${accountId}/labels`, 409);
    await page.getByLabel('New label name').fill('vip');
    await page.getByRole('button', { name: 'Add label' }).click();
    await expect.poll(() => page.getByTestId('labels-error').textContent()).toContain('already has a label named');
    await noSeriousAxeViolations(page, 'account settings with labels');

    await page.goto('/chat');
    const janeRow = page.getByTestId('conversation-row').filter({ hasText: 'Do you ship to Lyon?' });
    await janeRow.waitFor({ timeout: 20_000 });
    await page.getByTestId('conversation-row').filter({ hasText: 'Just browsing' }).waitFor({ timeout: 20_000 });
    await janeRow.click();
    await page.getByRole('button', { name: 'Labels' }).click();
    await page.locator('#label-menu').getByText('Shipping').click();
    await page.getByRole('list', { name: 'Labels of this conversation' }).getByTestId('label-chip').filter({ hasText: 'Shipping' }).waitFor();
    await expect.poll(() => janeRow.getByTestId('label-chip').textContent()).toContain('Shipping');
    await noSeriousAxeViolations(page, 'the inbox with the label menu open');

    await page.getByLabel('Filter by label').selectOption({ label: 'Shipping' });
    await expect.poll(() => page.getByTestId('conversation-row').count()).toBe(1);
    await expect.poll(() => page.getByTestId('conversation-row').first().textContent()).toContain('Do you ship to Lyon?');
    await page.getByLabel('Filter by label').selectOption({ label: 'Any label' });
    await expect.poll(() => page.getByTestId('conversation-row').count()).toBe(2);

    await expect
      .poll(() => world.crmHits.map((h) => JSON.parse(h.body) as { type: string; data: { added?: { name: string }[] } }).find((e) => e.type === 'conversation.labels_changed')?.data.added?.[0]?.name, { timeout: 20_000 })
      .toBe('Shipping');
    noConsoleErrors(owner.errors);
  });

  it('canned replies: saved in settings, picked with / as you type, variables filled, too long refused in words', async () => {
    const { page } = owner;
    const lena = await world.control.createCustomer({ username: 'lena_m', name: 'Lena Maria Bergström-Oliveira' });
    await world.control.sendText(lena.igsid, shop(), 'When does my parcel leave?');
    await ownerApi.call('POST', `/api/v1/accounts/${accountId}/canned-replies`, { shortcut: 'long', text: `${'x'.repeat(1000 - '{{contact.name}}'.length)}{{contact.name}}` });

    await page.goto(`/settings/accounts/${accountId}`);
    owner.expectFailure(`/api/v1/accounts/${accountId}/canned-replies`, 400);
    await page.getByLabel('Shortcut', { exact: true }).fill('ship');
    await page.getByLabel('Reply text').fill('Hi {{contact.email}}');
    await page.getByRole('button', { name: 'Add canned reply' }).click();
    await expect.poll(() => page.getByTestId('canned-error').textContent()).toContain('unknown variable {{contact.email}}');
    await page.getByLabel('Reply text').fill('Hi {{contact.name}}, {{agent.name}} here: your parcel leaves tomorrow.');
    await page.getByRole('button', { name: 'Add canned reply' }).click();
    await page.getByTestId('canned-replies').getByText('/ship').waitFor();
    await noSeriousAxeViolations(page, 'account settings with canned replies');

    await page.goto('/chat');
    const row = page.getByTestId('conversation-row').filter({ hasText: 'When does my parcel leave?' });
    await row.waitFor({ timeout: 20_000 });
    await row.click();
    await page.getByTestId('message-text').filter({ hasText: 'When does my parcel leave?' }).waitFor();
    const composer = page.getByTestId('composer');
    await composer.pressSequentially('/s');
    const picker = page.getByTestId('canned-picker');
    await picker.getByRole('option', { name: /\/ship/ }).waitFor();
    await expect.poll(() => picker.getByRole('option').count()).toBe(1);
    await noSeriousAxeViolations(page, 'the composer with the canned-reply picker open');
    await composer.press('Enter');
    await expect.poll(() => composer.inputValue()).toBe('Hi Lena Maria Bergström-Oliveira, owner here: your parcel leaves tomorrow.');
    await composer.press('Enter');
    await page.getByTestId('message-text').filter({ hasText: 'owner here: your parcel leaves tomorrow.' }).waitFor();
    await expect
      .poll(async () => (await world.control.outbox({ accountId: shop() })).some((m) => JSON.stringify(m).includes('Hi Lena Maria Bergström-Oliveira, owner here')), { timeout: 20_000 })
      .toBe(true);

    owner.expectFailure('/fill', 422);
    await composer.pressSequentially('/lo');
    await picker.getByRole('option', { name: /\/long/ }).waitFor();
    await composer.press('Enter');
    await expect.poll(() => page.getByTestId('send-error').textContent(), { timeout: 20_000 }).toContain('Instagram allows at most 1000 bytes');
    await composer.press('Escape');
    noConsoleErrors(owner.errors);
  });

  it('"All accounts": every account in one live list with badges, unread counts in the switcher, replies through the conversation\'s account', async () => {
    const { page } = owner;
    await page.goto('/chat');
    await page.getByTestId('account-switcher').click();
    await page.getByRole('menuitem', { name: '+ Link another Instagram account' }).click();
    await consent(page, world, outlet());
    await page.waitForURL(/\/chat/);
    await expect.poll(() => page.getByTestId('account-switcher').textContent()).toContain('@acme_shop');
    const olga = await world.control.createCustomer({ username: 'olga_k', name: 'Olga K' });
    await world.control.sendText(olga.igsid, outlet(), 'Is the outlet open on Sunday?');

    await page.getByTestId('account-switcher').click();
    await expect
      .poll(async () => { await page.getByTestId('account-switcher').click(); await page.getByTestId('account-switcher').click(); return page.getByRole('menuitem', { name: /@acme_outlet/ }).getByTestId('account-unread').textContent().catch(() => null); }, { timeout: 20_000 })
      .toBe('1');
    await noSeriousAxeViolations(page, 'the account switcher with unread counts');
    await page.getByTestId('choose-all-accounts').click();
    await expect.poll(() => page.getByTestId('account-switcher').textContent()).toContain('All accounts');
    const olgaRow = page.getByTestId('conversation-row').filter({ hasText: 'Is the outlet open on Sunday?' });
    await olgaRow.waitFor({ timeout: 20_000 });
    expect(await olgaRow.getByTestId('account-badge').textContent()).toBe('@acme_outlet');
    await page.getByTestId('conversation-row').filter({ hasText: 'Do you ship to Lyon?' }).getByTestId('account-badge').filter({ hasText: '@acme_shop' }).waitFor();

    // live: a new message of either account arrives in the one list
    await page.locator('.live.open').waitFor();
    const piet = await world.control.createCustomer({ username: 'piet_v', name: 'Piet V' });
    await world.control.sendText(piet.igsid, outlet(), 'Any discounts today?');
    await page.getByTestId('conversation-row').filter({ hasText: 'Any discounts today?' }).waitFor({ timeout: 20_000 });
    await noSeriousAxeViolations(page, 'the "All accounts" inbox');

    await olgaRow.click();
    await page.getByTestId('message-text').filter({ hasText: 'Is the outlet open on Sunday?' }).waitFor();
    await page.getByTestId('composer').fill('Yes, 10 to 16.');
    await page.getByTestId('composer').press('Enter');
    await page.getByTestId('message-text').filter({ hasText: 'Yes, 10 to 16.' }).waitFor();
    await expect
      .poll(async () => (await world.control.outbox({ accountId: outlet() })).some((m) => JSON.stringify(m).includes('Yes, 10 to 16.')), { timeout: 20_000 })
      .toBe(true);
    expect((await world.control.outbox({ accountId: shop() })).some((m) => JSON.stringify(m).includes('Yes, 10 to 16.'))).toBe(false);
    // the session's account did not change
    expect(await page.evaluate(async () => ((await (await fetch('/api/v1/ui/me')).json()) as { account_id: string }).account_id)).toBe(accountId);
    noConsoleErrors(owner.errors);
  });

  it('fixed on the way: one\'s own image shows, no "React" under one\'s own messages, 390 px screens, a dark theme', async () => {
    const { page } = owner;
    await page.goto('/chat');
    await page.getByTestId('choose-all-accounts').or(page.getByRole('button', { name: 'This account' })).first().waitFor();
    await page.getByRole('button', { name: 'This account' }).click();
    const row = page.getByTestId('conversation-row').filter({ hasText: 'Do you ship to Lyon?' });
    await row.click();
    await page.setInputFiles('#composer-file', { name: 'photo.png', mimeType: 'image/png', buffer: PNG });
    const mine = page.locator('.out').filter({ has: page.locator('img') }).last();
    await mine.locator('img').waitFor({ timeout: 20_000 });
    expect(await page.getByText('(not available)').count()).toBe(0);
    await expect.poll(() => page.getByTestId('message-status').last().textContent(), { timeout: 20_000 }).toMatch(/Sent|Seen/);
    expect(await mine.getByRole('button', { name: /React/ }).count()).toBe(0);
    expect(await page.locator('.in').last().getByRole('button', { name: /React/ }).count()).toBe(1);

    const phone = await guardedPage(browser, world.baseUrl, { viewport: { width: 390, height: 844 } });
    try {
      await signIn(phone.page, 'owner');
      for (const path of [`/settings/accounts/${accountId}`, '/admin', '/settings']) {
        await phone.page.goto(path);
        await phone.page.locator('h1, h2').first().waitFor();
        await phone.page.waitForLoadState('networkidle');
        await noHorizontalScroll(phone.page);
      }
      noConsoleErrors(phone.errors);
    } finally {
      await phone.close();
    }

    const dark = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: world.baseUrl, colorScheme: 'dark' });
    try {
      const p = await dark.newPage();
      await signIn(p, 'owner');
      expect(await p.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--bg').trim())).toBe('#0e1120');
      await p.getByTestId('conversation-row').first().click();
      await p.getByTestId('message-text').first().waitFor();
      await noSeriousAxeViolations(p, 'the inbox in the dark theme');
      await p.goto(`/settings/accounts/${accountId}`);
      await p.getByTestId('labels').waitFor();
      await noSeriousAxeViolations(p, 'account settings in the dark theme');
    } finally {
      await dark.close();
    }
    noConsoleErrors(owner.errors);
  });

  it('the contact panel beside the thread: the person, their labels and other conversations, and a link into the CRM record', async () => {
    const { page } = owner;
    await page.goto(`/settings/accounts/${accountId}`);
    owner.expectFailure(`/api/v1/accounts/${accountId}/crm-record-link`, 400);
    await page.getByLabel('CRM record URL template').fill('https://crm.example.com/c/{{contact.email}}');
    await page.getByRole('button', { name: 'Set link' }).click();
    await expect.poll(() => page.getByTestId('crm-link-error').textContent(), { timeout: 10_000 }).toContain('unknown variable {{contact.email}}');
    await page.getByLabel('CRM record URL template').fill('https://crm.example.com/contacts?ig={{contact.igsid}}');
    await page.getByRole('button', { name: 'Set link' }).click();
    await page.getByText('CRM record link saved.').waitFor();

    // Jane writes to the other account too: the panel lists that conversation
    await world.control.sendText(janeIgsid, outlet(), 'And the outlet: open late?');
    await page.goto('/chat');
    await page.getByRole('button', { name: 'This account' }).click();
    await page.getByTestId('conversation-row').filter({ hasText: '@jane_doe' }).click();
    if ((await page.getByTestId('contact-panel').count()) === 0) await page.getByTestId('toggle-contact').click();
    const panel = page.getByTestId('contact-panel');
    await panel.getByText('@jane_doe').waitFor();
    await panel.getByTestId('label-chip').filter({ hasText: 'Shipping' }).waitFor();
    const href = await panel.getByTestId('crm-record-link').getAttribute('href');
    expect(href).toMatch(/^https:\/\/crm\.example\.com\/contacts\?ig=\d+$/);
    expect(await panel.textContent()).toContain('First contact');
    const fact = (name: string) => panel.locator('dt', { hasText: name }).locator('xpath=following-sibling::dd[1]').textContent();
    expect(await fact('Followers')).toBe('987');
    expect(await fact('Follows you')).toBe('yes');
    expect(await fact('You follow')).toBe('no');
    // once the outlet has her conversation (and her profile, which gives the username), the panel lists it
    const conversationId = new URL(page.url()).pathname.split('/').pop() ?? '';
    await expect
      .poll(async () => (await ownerApi.call<{ other_conversations: { account_username: string }[] }>('GET', `/api/v1/ui/conversations/${conversationId}/contact`)).other_conversations.map((o) => o.account_username), { timeout: 20_000 })
      .toEqual(['acme_outlet']);
    await page.reload();
    await page.getByTestId('message-text').filter({ hasText: 'Do you ship to Lyon?' }).waitFor();
    if ((await page.getByTestId('contact-panel').count()) === 0) await page.getByTestId('toggle-contact').click();
    await page.getByTestId('contact-panel').getByRole('link', { name: '@acme_outlet' }).waitFor();
    expect(await page.getByTestId('contact-panel').textContent()).toContain('And the outlet: open late?');
    await noSeriousAxeViolations(page, 'the thread with the contact panel');
    noConsoleErrors(owner.errors);
  });

  it('notifications: asked once from the settings toggle, shown for a customer\'s new message, never for one\'s own; the unread count in the tab title', async () => {
    const { page, context } = owner;
    // Headless Chromium shows no notifications: a stand-in records them (and the permission prompt).
    await context.addInitScript(() => {
      const w = window as unknown as { __notes: { title: string; body: string }[]; __asked: number; Notification: unknown };
      w.__notes = JSON.parse(sessionStorage.getItem('__notes') ?? '[]') as { title: string; body: string }[];
      w.__asked = Number(sessionStorage.getItem('__asked') ?? '0');
      w.Notification = class {
        static get permission() { return localStorage.getItem('__perm') ?? 'default'; }
        static async requestPermission() {
          w.__asked += 1;
          sessionStorage.setItem('__asked', String(w.__asked));
          localStorage.setItem('__perm', 'granted');
          return 'granted';
        }
        onclick: (() => void) | null = null;
        constructor(title: string, opts?: { body?: string }) {
          w.__notes.push({ title, body: opts?.body ?? '' });
          sessionStorage.setItem('__notes', JSON.stringify(w.__notes));
        }
        close() {}
      };
      // and a stand-in for the chime's audio: each chime makes one AudioContext
      const chimes = window as unknown as { AudioContext: unknown };
      chimes.AudioContext = class {
        currentTime = 0;
        destination = {};
        constructor() { sessionStorage.setItem('__chimes', String(Number(sessionStorage.getItem('__chimes') ?? '0') + 1)); }
        createOscillator() { return { frequency: { value: 0 }, connect: (next: unknown) => next, start() {}, stop() {} }; }
        createGain() { return { gain: { value: 0 }, connect: (next: unknown) => next }; }
        close() { return Promise.resolve(); }
      };
    });
    await page.goto('/settings');
    await page.getByTestId('notify-browser').check();
    await expect.poll(() => page.evaluate(() => (window as unknown as { __asked: number }).__asked)).toBe(1);
    await expect.poll(() => page.evaluate(async () => ((await (await fetch('/api/v1/ui/preferences')).json()) as { browser_notifications: boolean }).browser_notifications)).toBe(true);
    await page.getByLabel('Play a sound').check();
    await expect.poll(() => page.evaluate(async () => ((await (await fetch('/api/v1/ui/preferences')).json()) as { notification_sound: boolean }).notification_sound)).toBe(true);
    await noSeriousAxeViolations(page, 'settings with notifications');

    await page.goto('/chat');
    await page.getByRole('button', { name: 'This account' }).click();
    await page.locator('.live.open').waitFor();
    const notes = () => page.evaluate(() => (window as unknown as { __notes: { title: string; body: string }[] }).__notes);
    const before = (await notes()).length;
    const rosa = await world.control.createCustomer({ username: 'rosa_p', name: 'Rosa P' });
    await world.control.sendText(rosa.igsid, shop(), 'Hello, anyone there?');
    await expect.poll(async () => (await notes()).slice(before), { timeout: 20_000 }).toEqual([{ title: expect.stringContaining('wrote'), body: 'Hello, anyone there?' }]);
    const chimes = () => page.evaluate(() => Number(sessionStorage.getItem('__chimes') ?? '0'));
    await expect.poll(chimes).toBe(1);
    await expect.poll(() => page.title(), { timeout: 20_000 }).toMatch(/^\(\d+\) Threadline$/);

    // one's own reply notifies nobody here
    await page.getByTestId('conversation-row').filter({ hasText: 'Hello, anyone there?' }).click();
    await page.getByTestId('composer').fill('Yes, how can I help?');
    await page.getByTestId('composer').press('Enter');
    await expect.poll(() => page.getByTestId('message-status').last().textContent(), { timeout: 20_000 }).toMatch(/Sent|Seen/);
    expect((await notes()).length).toBe(before + 1);
    expect(await chimes()).toBe(1);

    // a teammate's note that @mentions me notifies, with the chime; the note's text stays out of the notification
    await ownerApi.call('POST', '/api/v1/admin/users', { username: 'noter', password: PASSWORD });
    await ownerApi.call('POST', `/api/v1/accounts/${accountId}/members`, { username: 'noter', role: 'viewer' });
    const noter = new Api(world);
    await noter.login('noter', PASSWORD);
    const rosaId = new URL(page.url()).pathname.split('/').pop() ?? '';
    // her name (from her profile, fetched in the background) is in the list once the page reads it again
    await expect.poll(async () => (await ownerApi.call<{ contact: { name: string | null } }>('GET', `/api/v1/ui/conversations/${rosaId}`)).contact.name, { timeout: 20_000 }).toBe('Rosa P');
    await page.reload();
    await page.locator('.live.open').waitFor();
    await page.getByTestId('conversation-row').filter({ hasText: 'Rosa P' }).waitFor();
    await noter.call('POST', `/api/v1/ui/conversations/${rosaId}/notes`, { text: 'She ordered twice, @owner please check' });
    await expect
      .poll(async () => (await notes()).slice(before + 1), { timeout: 20_000 })
      .toEqual([{ title: 'You were mentioned in a note', body: 'In the conversation with Rosa P' }]);
    await expect.poll(chimes).toBe(2);
    await page.goto('/settings');
    expect(await page.evaluate(() => (window as unknown as { __asked: number }).__asked)).toBe(1);
    noConsoleErrors(owner.errors);
  });

  it('a teammate sees a label change live, and cannot change labels as a viewer', async () => {
    await ownerApi.call('POST', '/api/v1/admin/users', { username: 'teammate', password: PASSWORD });
    await ownerApi.call('POST', `/api/v1/accounts/${accountId}/members`, { username: 'teammate', role: 'viewer' });
    const mate = await guardedPage(browser, world.baseUrl);
    try {
      await signIn(mate.page, 'teammate');
      const row = mate.page.getByTestId('conversation-row').filter({ hasText: '@jane_doe' });
      await row.click();
      await mate.page.locator('.live.open').waitFor();
      expect(await mate.page.getByRole('button', { name: 'Labels' }).count()).toBe(0);
      const { labels } = await ownerApi.call<{ labels: { id: string; name: string }[] }>('GET', `/api/v1/accounts/${accountId}/labels`);
      const vip = labels.find((l) => l.name === 'VIP');
      const conversationId = new URL(mate.page.url()).pathname.split('/').pop() ?? '';
      await ownerApi.call('PUT', `/api/v1/ui/conversations/${conversationId}/labels`, { label_ids: [vip?.id] });
      await mate.page.getByRole('list', { name: 'Labels of this conversation' }).getByTestId('label-chip').filter({ hasText: 'VIP' }).waitFor({ timeout: 20_000 });
      await expect.poll(() => row.getByTestId('label-chip').allTextContents(), { timeout: 20_000 }).toEqual(['VIP']);
      noConsoleErrors(mate.errors);
    } finally {
      await mate.close();
    }
  });
});
