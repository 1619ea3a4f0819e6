import type { App } from '../src/http/server.ts';

/** Every route with its full path, read from Fastify's route tree, so a route added later is swept too. */
export function allRoutes(app: App): { method: string; path: string }[] {
  const stack: string[] = [];
  const routes: { method: string; path: string }[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^(.*?)[├└]── (\S+) \(([^)]+)\)$/.exec(line);
    if (!match) continue;
    const depth = (match[1] ?? '').length / 4;
    stack.length = depth;
    stack.push(match[2] ?? '');
    for (const method of (match[3] ?? '').split(', ')) routes.push({ method, path: stack.join('') });
  }
  return routes;
}
