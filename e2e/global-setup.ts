import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CHROMIUM_PATH } from './browser.ts';

/** Before the browser suite: the built web app (rebuilt when stale) and Debian's Chromium. */
export default function setup(): void {
  const root = path.resolve(import.meta.dirname, '..');
  const r = spawnSync(process.execPath, [path.join(root, 'packages/web/scripts/ensure-built.ts')], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('Building the web app failed.');
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`No Chromium at ${CHROMIUM_PATH}: install it with "apt-get install -y chromium" (or set CHROMIUM_PATH).`);
  }
}
