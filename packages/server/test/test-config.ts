import { z } from 'zod';

/**
 * The test suites' own settings, read once from the environment (STYLE.md, "Config once"): `TEST_DATABASE_URL`, a
 * PostgreSQL server on which each test file gets a new database (unset: an in-memory PGlite).
 */
const schema = z.object({ TEST_DATABASE_URL: z.string().url().optional() });

export const testConfig = (() => {
  const parsed = schema.safeParse({ TEST_DATABASE_URL: process.env.TEST_DATABASE_URL || undefined });
  if (!parsed.success) throw new Error(`test settings: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return { databaseUrl: parsed.data.TEST_DATABASE_URL ?? null };
})();
