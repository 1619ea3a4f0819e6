import { routes } from '@threadline/contract';
import { route, routeWith } from '../../http/route.ts';
import type { App } from '../../http/server.ts';
import type { Database } from '../../db/client.ts';
import { pendingMigrations } from '../../db/migrate.ts';

export async function healthRoutes(app: App, opts: { database: Database; version: string }) {
  route(app, routes.platform.healthz, async () => ({ status: 'ok' as const, version: opts.version }), { logLevel: 'warn' });

  routeWith(app, routes.platform.readyz, { logLevel: 'warn' }, async (_req, reply) => {
    const engine = opts.database.kind;
    try {
      await withTimeout(opts.database.ping(), 3_000);
    } catch {
      return reply.code(503).send({ status: 'not_ready', database: 'unreachable', migrations: 'unknown', engine });
    }
    const pending = await pendingMigrations(opts.database);
    if (pending.length > 0) {
      return reply.code(503).send({ status: 'not_ready', database: 'ok', migrations: 'pending', engine });
    }
    return { status: 'ready' as const, database: 'ok' as const, migrations: 'ok' as const, engine };
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
