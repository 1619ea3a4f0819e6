import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = path.resolve(import.meta.dirname, '../docs/screenshots');

/** Debian's Chromium, headless, with nothing that reaches the network by itself. Each launch gets a fresh profile. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

export type GuardedPage = {
  page: Page;
  context: BrowserContext;
  /** Console errors and uncaught exceptions of Threadline's pages, except the ones a test said to expect. */
  errors: string[];
  /** A failed request a test provokes on purpose (e.g. a wrong password's 401). */
  expectFailure(urlPart: string, status: number): void;
  close(): Promise<void>;
};

/**
 * A page that records every console error. The only failure allowed without asking is the first "am I signed
 * in?" probe (GET /api/v1/ui/me answering 401), which Chromium reports as a console error.
 */
export async function guardedPage(
  browser: Browser,
  baseUrl: string,
  opts: { viewport?: { width: number; height: number }; /** a test certificate (deploy tests behind nginx) */ ignoreHTTPSErrors?: boolean } = {},
): Promise<GuardedPage> {
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 800 }, baseURL: baseUrl, ignoreHTTPSErrors: opts.ignoreHTTPSErrors ?? false });
  const page = await context.newPage();
  const errors: string[] = [];
  const expected: { urlPart: string; status: number }[] = [{ urlPart: '/api/v1/ui/me', status: 401 }];
  const allowed = (msg: ConsoleMessage) => {
    const url = msg.location().url;
    if (url && !url.startsWith(baseUrl)) return true; // the simulator's consent page is not ours
    const m = /status of (\d{3})/.exec(msg.text());
    return m !== null && expected.some((e) => url.includes(e.urlPart) && String(e.status) === m[1]);
  };
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !allowed(msg)) errors.push(`${msg.text()} @ ${msg.location().url}`);
  });
  page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
  return {
    page,
    context,
    errors,
    expectFailure: (urlPart, status) => void expected.push({ urlPart, status }),
    close: () => context.close(),
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`) });
}
