import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The lint rules that keep queries in repositories and transactions in the unit of work (eslint.config.js), run on
// code that is not a file of the repo.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const eslint = new ESLint({ cwd: root });
const RULE_MESSAGE = 'Only repositories touch the database';
const TRANSACTION_MESSAGE = 'Open transactions with the unit of work (db/unit-of-work.ts)';

async function problems(relativePath: string, code: string, message = RULE_MESSAGE): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, relativePath) });
  return (result?.messages ?? []).filter((m) => m.message.includes(message)).map((m) => `${m.line}:${m.ruleId ?? ''}`);
}

const QUERYING_SERVICE = `import { eq } from 'drizzle-orm';
import { users } from '../../db/schema/index.ts';
import { fixedRows, sql, type Db } from '../../db/client.ts';
export async function find(db: Db, deps: { db: Db }, id: string) {
  await db.execute(sql\`select 1\`);
  await fixedRows(db, 'select 1', []);
  await db.query.users.findFirst();
  return deps.db.select().from(users).where(eq(users.id, id));
}
`;

describe('only repositories touch the database', () => {
  it('a service that imports Drizzle, a table or a raw-SQL helper, or runs a query, is refused line by line', async () => {
    const found = await problems('packages/server/src/modules/example/example.service.ts', QUERYING_SERVICE);
    expect(found).toEqual(
      expect.arrayContaining([
        '1:no-restricted-imports',
        '2:no-restricted-imports',
        '3:no-restricted-imports',
        '5:no-restricted-syntax',
        '6:no-restricted-syntax',
        '7:no-restricted-syntax',
        '8:no-restricted-syntax',
      ]),
    );
  }, 60_000);

  it('a repository, the database layer and a test may query', async () => {
    for (const file of ['packages/server/src/modules/example/example.repository.ts', 'packages/server/src/db/example.ts', 'packages/server/src/modules/example/example.test.ts']) {
      expect(await problems(file, QUERYING_SERVICE), file).toEqual([]);
    }
  }, 60_000);

  it('a service may still name the Db type', async () => {
    const code = `import type { Db } from '../../db/client.ts';
export const withTransaction = (tx: Db, fn: (tx: Db) => Promise<void>) => fn(tx);
`;
    expect(await problems('packages/server/src/modules/example/example.service.ts', code)).toEqual([]);
  }, 60_000);
});

const OPENING_TRANSACTIONS = `import type { Db } from '../../db/client.ts';
export async function both(db: Db, deps: { db: Db }, fn: (tx: Db) => Promise<void>) {
  await db.transaction(fn);
  await deps.db
    .transaction(fn);
}
`;

describe('one way to open a transaction', () => {
  it('a service or a repository that opens a transaction itself is refused, line by line', async () => {
    for (const file of ['packages/server/src/modules/example/example.service.ts', 'packages/server/src/modules/example/example.repository.ts']) {
      expect(await problems(file, OPENING_TRANSACTIONS, TRANSACTION_MESSAGE), file).toEqual(['3:no-restricted-syntax', '4:no-restricted-syntax']);
    }
  }, 60_000);

  it('a service that opens a transaction and queries in it is refused both', async () => {
    const code = `import type { Db } from '../../db/client.ts';
export async function both(db: Db) {
  await db.transaction(async (tx) => {
    await tx.select();
  });
}
`;
    const file = 'packages/server/src/modules/example/example.service.ts';
    expect(await problems(file, code, TRANSACTION_MESSAGE)).toEqual(['3:no-restricted-syntax']);
    expect(await problems(file, code)).toEqual(['4:no-restricted-syntax']);
  }, 60_000);

  it('the unit of work itself, the rest of the database layer and a test may open one', async () => {
    for (const file of ['packages/server/src/db/unit-of-work.ts', 'packages/server/src/db/copy/example.ts', 'packages/server/src/modules/example/example.test.ts']) {
      expect(await problems(file, OPENING_TRANSACTIONS, TRANSACTION_MESSAGE), file).toEqual([]);
    }
  }, 60_000);
});
