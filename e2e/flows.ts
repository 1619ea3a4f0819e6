import { expect } from 'vitest';
import type { Page } from 'playwright-core';
import type { World } from './world.ts';

export const PASSWORD = 'correct horse battery';

/** The simulator's consent page: pick the Instagram account and press Allow (or Cancel); back on Threadline after. */
export async function consent(page: Page, world: Pick<World, 'simUrl' | 'baseUrl'>, igId: string, action: 'allow' | 'cancel' = 'allow'): Promise<void> {
  await page.waitForURL((u) => u.href.startsWith(world.simUrl), { timeout: 20_000 });
  if (action === 'allow') await page.check(`input[name="account_id"][value="${igId}"]`);
  await page.click(action === 'allow' ? 'button.allow' : 'button.cancel');
  await page.waitForURL((u) => u.href.startsWith(world.baseUrl), { timeout: 20_000 });
}

export async function signIn(page: Page, username: string, password = PASSWORD): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/chat/);
}

/** An Instagram user (logged in on the simulator's consent page) with professional accounts. */
export async function instagramOwner(world: Pick<World, 'control'>, username: string, accounts: string[]) {
  const user = await world.control.createIgUser({ username });
  const created = await Promise.all(accounts.map((a) => world.control.createAccount({ igUserId: user.id, username: a, name: a.replace(/_/g, ' ') })));
  await world.control.setSession(user.id);
  return { user, accounts: created };
}

export function noConsoleErrors(errors: string[]): void {
  expect(errors, 'console errors').toEqual([]);
}

export async function noHorizontalScroll(page: Page): Promise<void> {
  const { overflow, widest } = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    // the innermost elements that reach past the right edge: what to fix when this fails
    // (not those a scrolling or clipping box within the screen holds)
    const held = (e: HTMLElement) => {
      if (getComputedStyle(e).position === 'absolute') return false; // may escape a box that is not positioned
      for (let a = e.parentElement; a; a = a.parentElement) {
        if (getComputedStyle(a).overflowX !== 'visible') return a.getBoundingClientRect().right <= width + 1;
      }
      return false;
    };
    const past = [...document.querySelectorAll<HTMLElement>('body *')].filter((e) => e.getBoundingClientRect().right > width + 1 && !held(e));
    const innermost = past.filter((e) => !past.some((o) => o !== e && e.contains(o)));
    const describe = (e: HTMLElement) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}.${[...e.classList].join('.')} → ${Math.round(e.getBoundingClientRect().right)}px`;
    return { overflow: document.documentElement.scrollWidth - width, widest: innermost.slice(0, 5).map(describe) };
  });
  expect(overflow, `${page.url()} overflows by ${overflow}px: ${widest.join('; ')}`).toBeLessThanOrEqual(0);
}

/** A person logged in on the simulator's Facebook dialog, managing Pages (each with an Instagram account, or none). */
export async function facebookOwner(world: World, name: string, pages: { page: string; instagram: string | null }[]) {
  const person = await world.control.facebook.createUser({ name });
  const created = [];
  for (const p of pages) {
    const account = p.instagram ? await world.control.createAccount({ username: p.instagram, name: p.instagram.replace(/_/g, ' ') }) : null;
    created.push({ page: await world.control.facebook.createPage({ name: p.page, managers: [person.id], igAccountId: account?.igId ?? null }), account });
  }
  await world.control.facebook.setSession(person.id);
  return { person, pages: created };
}

/** The simulator's Facebook dialog: keep the Pages and permissions it offers and press Continue. */
export async function facebookDialog(page: Page, world: World): Promise<void> {
  await page.waitForURL((u) => u.href.startsWith(world.simUrl), { timeout: 20_000 });
  await page.click('button.continue');
  await page.waitForURL((u) => u.href.startsWith(world.baseUrl), { timeout: 20_000 });
}

/** axe-core on the page as it is now: no serious or critical accessibility violation. */
export async function noSeriousA11yViolations(page: Page): Promise<void> {
  const { AxeBuilder } = await import('@axe-core/playwright');
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(bad, 'serious or critical accessibility violations').toEqual([]);
}
