import { randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api } from '../../e2e/api.ts';
import { adminQuery } from '../../packages/server/test/db.ts';
import { guardedPage, launchBrowser, type GuardedPage } from '../../e2e/browser.ts';
import { consent, instagramOwner, noConsoleErrors, PASSWORD, signIn } from '../../e2e/flows.ts';
import { startDeployWorld, type DeployWorld } from './deploy-world.ts';

const adminUrl = process.env.TEST_DATABASE_URL;


/** The sum of one metric's samples in a process's /metrics text, restricted to lines containing `filter`. */
function metricSum(text: string, name: string, filter = ''): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(name) && l.includes(filter))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/**
 * Two API processes (`serve --no-workers`) and two workers (`worker`) on one PostgreSQL, behind the nginx of
 * deploy/nginx: every flow must hold whichever process gets each request, event or job.
 */
describe.skipIf(!adminUrl)('scale-out: two API processes and two workers behind nginx', () => {
  const dbName = `tl_scale_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  let world: DeployWorld;
  let browser: Browser;
  const pages: GuardedPage[] = [];
  let api: Api;

  beforeAll(async () => {
    await adminQuery(`create database ${dbName}`);
    const url = new URL(adminUrl ?? '');
    url.pathname = `/${dbName}`;
    [world, browser] = await Promise.all([startDeployWorld({ api: 2, workers: 2, databaseUrl: url.toString() }), launchBrowser()]);
    api = new Api(world);
    await api.setupOwner('owner', PASSWORD);
  });
  afterAll(async () => {
    for (const p of pages) await p.close();
    await browser?.close();
    await world?.close();
    await adminQuery(`drop database if exists ${dbName} with (force)`);
  });

  it('links Instagram, ingests DMs, shows them live in two browsers, sends a reply and delivers every event to the CRM once', async () => {
    const ig = await instagramOwner(world, 'acme_ig', ['acme_shop']);
    const shop = ig.accounts[0]?.igId ?? '';
    for (let i = 0; i < 2; i++) {
      const g = await guardedPage(browser, world.baseUrl, { ignoreHTTPSErrors: true });
      pages.push(g);
      await signIn(g.page, 'owner');
    }
    const [first, second] = pages;
    if (!first || !second) throw new Error('no pages');
    // the OAuth state is written by one API process and the callback may land on the other
    await first.page.getByRole('button', { name: 'Connect Instagram' }).click();
    await consent(first.page, world, shop);
    await first.page.getByTestId('account-switcher').filter({ hasText: '@acme_shop' }).waitFor();
    await api.login('owner', PASSWORD);
    const account = (await api.accounts()).accounts.find((a) => a.username === 'acme_shop');
    await api.call('PATCH', `/api/v1/accounts/${account?.id}`, { crm_webhook_url: `${world.outsideUrl}/crm/hooks` });
    await second.page.goto('/chat');
    for (const g of pages) await g.page.locator('.live.open').waitFor();

    // twelve customers write at once: Meta's POSTs spread over both API processes, the events over both workers
    const customers = await Promise.all(Array.from({ length: 12 }, (_, i) => world.control.createCustomer({ username: `customer_${i}`, name: `Customer ${i}` })));
    await Promise.all(customers.map((c, i) => world.control.sendText(c.igsid, shop, `Question number ${i} from far away`)));
    for (const g of pages) {
      for (let i = 0; i < 12; i++) await g.page.getByTestId('conversation-row').filter({ hasText: `Question number ${i} from` }).waitFor({ timeout: 60_000 });
    }

    const row = first.page.getByTestId('conversation-row').filter({ hasText: 'Question number 7 from' });
    await row.click();
    await first.page.getByTestId('composer').fill('Answer to number seven.');
    await first.page.getByTestId('composer').press('Enter');
    await expect
      .poll(async () => (await world.control.outbox({ accountId: shop })).filter((m) => JSON.stringify(m).includes('Answer to number seven.')).length, { timeout: 60_000 })
      .toBe(1);
    // the other browser sees the reply too, through whichever process holds its stream
    await second.page.getByTestId('conversation-row').filter({ hasText: 'Answer to number seven.' }).waitFor({ timeout: 60_000 });

    type Delivery = { id: string; event_type: string; status: string };
    const deliveries = async () => (await api.call<{ deliveries: Delivery[] }>('GET', `/api/v1/accounts/${account?.id}/crm/deliveries?limit=100`)).deliveries;
    await expect.poll(async () => (await deliveries()).filter((d) => d.event_type === 'message.received').length, { timeout: 60_000 }).toBe(12);
    await expect.poll(async () => (await deliveries()).every((d) => d.status === 'succeeded'), { timeout: 90_000 }).toBe(true);
    const ids = world.crmHits.map((h) => String(h.headers['webhook-id']));
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set((await deliveries()).map((d) => d.id)));

    for (const g of pages) noConsoleErrors(g.errors);
  });

  it('spread the work over both API processes, and no process logged an error', async () => {
    // each process counts what it answered, on its own /metrics
    const texts = await Promise.all(world.apiUrls.map(async (u) => (await fetch(`${u}/metrics`)).text()));
    for (const text of texts) expect(metricSum(text, 'threadline_http_request_duration_seconds_count', 'route="/webhooks/instagram"') + metricSum(text, 'threadline_http_request_duration_seconds_count', 'route="/api/v1/ui/events"')).toBeGreaterThan(0);
    expect(world.logs()).not.toMatch(/"level":(50|60)/);
  });
});
