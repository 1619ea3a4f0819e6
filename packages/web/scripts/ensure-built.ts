import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * `npm start` serves packages/web/dist: build it when it is missing or older than its sources (a fresh clone,
 * a pull), so `npm install && npm start` always serves the current app. Quick when nothing changed.
 */
const webDir = path.resolve(import.meta.dirname, '..');
const root = path.resolve(webDir, '../..');
const built = path.join(webDir, 'dist/index.html');
const sources = [path.join(webDir, 'src'), path.join(webDir, 'index.html'), path.join(webDir, 'vite.config.ts'), path.join(webDir, 'public'), path.join(root, 'packages/contract/src')];

function newest(p: string): number {
  if (!existsSync(p)) return 0;
  const s = statSync(p);
  if (!s.isDirectory()) return s.mtimeMs;
  return readdirSync(p).reduce((m, name) => Math.max(m, newest(path.join(p, name))), s.mtimeMs);
}

export function needsBuild(): boolean {
  return !existsSync(built) || statSync(built).mtimeMs < Math.max(...sources.map(newest));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (!needsBuild()) process.exit(0);
  // A production install (`npm prune --omit=dev`) has no Vite: serve what `npm run build` made before the prune.
  if (!existsSync(path.join(root, 'node_modules/vite/bin/vite.js'))) {
    if (existsSync(built)) process.exit(0);
    console.error('The web app is not built and Vite is not installed: run `npm run build` before `npm prune --omit=dev`.');
    process.exit(1);
  }
  console.log('Building the web app (packages/web/dist is missing or older than its sources)…');
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', webDir, '--logLevel', 'warn'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  const size = spawnSync(process.execPath, [path.join(webDir, 'scripts/first-load.ts')], { stdio: 'inherit' });
  process.exit(size.status ?? 1);
}
