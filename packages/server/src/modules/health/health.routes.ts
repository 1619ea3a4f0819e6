import { z } from 'zod';
import type { App } from '../../http/server.ts';
import type { Database } from '../../db/client.ts';
import { pendingMigrations } from '../../db/migrate.ts';

const readySchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  database: z.enum(['ok', 'unreachable']),
  migrations: z.enum(['ok', 'pending', 'unknown']),
  engine: z.enum(['pglite', 'postgres']),
});

export async function healthRoutes(app: App, opts: { database: Database; version: string }) {
  app.get(
    '/healthz',
    { config: { auth: 'public' }, logLevel: 'warn', schema: { response: { 200: z.object({ status: z.literal('ok'), version: z.string() }) } } },
    async () => ({ status: 'ok' as const, version: opts.version }),
  );

  app.get(
    '/readyz',
    { config: { auth: 'public' }, logLevel: 'warn', schema: { response: { 200: readySchema, 503: readySchema } } },
    async (_req, reply) => {
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
    },
  );
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
