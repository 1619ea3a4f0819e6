import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { z } from 'zod';

/** Budget of the issue: the JavaScript a browser loads to show the first page, gzipped. */
export const FIRST_LOAD_BUDGET_BYTES = 250 * 1024;

const manifestSchema = z.record(
  z.string(),
  z.object({ file: z.string(), isEntry: z.boolean().optional(), imports: z.array(z.string()).optional(), src: z.string().optional() }),
);

/**
 * The JavaScript of a first visit: the entry chunk and everything it imports statically, plus the heaviest route a
 * first visit can land on (the chat view, or the login view) with its own static imports.
 */
export function firstLoad(distDir: string): { files: string[]; gzipBytes: number } {
  const manifest = manifestSchema.parse(JSON.parse(readFileSync(path.join(distDir, '.vite/manifest.json'), 'utf8')));
  const seen = new Set<string>();
  const walk = (key: string) => {
    const chunk = manifest[key];
    if (!chunk || seen.has(key)) return;
    seen.add(key);
    for (const i of chunk.imports ?? []) walk(i);
  };
  for (const [key, chunk] of Object.entries(manifest)) if (chunk.isEntry) walk(key);
  const routes = ['src/views/chat-view.vue', 'src/views/login-view.vue'];
  const routeSets = routes.map((r) => {
    const before = new Set(seen);
    walk(r);
    const added = [...seen].filter((k) => !before.has(k));
    for (const k of added) seen.delete(k);
    return added;
  });
  const size = (keys: string[]) => keys.reduce((n, k) => n + gzipSync(readFileSync(path.join(distDir, manifest[k]?.file ?? ''))).length, 0);
  const heaviest = routeSets.reduce((a, b) => (size(a) >= size(b) ? a : b), []);
  const keys = [...seen, ...heaviest];
  return { files: keys.map((k) => manifest[k]?.file ?? k), gzipBytes: size(keys) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dist = path.resolve(process.argv[2] ?? path.join(import.meta.dirname, '../dist'));
  if (!existsSync(path.join(dist, '.vite/manifest.json'))) {
    console.error(`No build in ${dist}: run npm run build first.`);
    process.exit(1);
  }
  const r = firstLoad(dist);
  const kb = (r.gzipBytes / 1024).toFixed(1);
  console.log(`first-load JavaScript: ${kb} KB gzipped (budget ${FIRST_LOAD_BUDGET_BYTES / 1024} KB) in ${r.files.length} files`);
  if (r.gzipBytes > FIRST_LOAD_BUDGET_BYTES) process.exit(1);
}
