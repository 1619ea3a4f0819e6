import type { Database } from '../db/client.ts';
import { createCopyRepository } from '../db/copy/copy.repository.ts';
import { pendingMigrations } from '../db/migrate.ts';

/** "2 accounts, 40 conversations, 1,234 messages; 3 migrations to apply": what a backup or restore holds. */
export async function describeDatabase(database: Database): Promise<string> {
  const repo = createCopyRepository(database.db);
  const counts: string[] = [];
  for (const name of ['accounts', 'conversations', 'messages']) {
    counts.push(`${(await repo.count({ schema: 'public', name })).toLocaleString('en')} ${name}`);
  }
  const pending = await pendingMigrations(database);
  return `${counts.join(', ')}; ${pending.length === 0 ? 'migrations up to date' : `${pending.length} migrations to apply on start`}`;
}

/** A database URL fit to print: the password replaced. */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}
