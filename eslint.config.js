import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * One way to open a transaction (docs/architecture.md): `units.run(async (uow) => …)` from db/unit-of-work.ts, so
 * what a transaction records is written before it commits and what must follow it runs after. Nothing else in the
 * server calls `.transaction(`: not a service, and not a repository, whose caller owns the boundary.
 */
const TRANSACTION_MESSAGE = 'Open transactions with the unit of work (db/unit-of-work.ts)';
const transactionSelector = { selector: "CallExpression[callee.property.name='transaction']", message: TRANSACTION_MESSAGE };
export const transactionRules = { 'no-restricted-syntax': ['error', transactionSelector] };

/** Where `.transaction(` may be called: the database layer (the unit of work itself, db/copy) and tests. */
export const TRANSACTION_ALLOWED = ['packages/server/src/db/**', '**/*.test.ts', '**/test/**', '**/*-test-helpers.ts'];

/**
 * Only repositories touch the database (docs/architecture.md): a query lives in a `*.repository.ts` or in `db/`,
 * and services, jobs and routes call repository functions. Tests, benchmarks and scripts may query directly.
 */
const DATABASE_MESSAGE = 'Only repositories touch the database: move this query into a *.repository.ts and call it from here.';
export const databaseAccessRules = {
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        { regex: '^drizzle-orm(/.*)?$', message: DATABASE_MESSAGE },
        { regex: '(^|/)db/schema(/.*)?$', message: DATABASE_MESSAGE },
        {
          regex: '(^|/)db/client(\\.ts)?$',
          importNames: ['sql', 'fixedRows', 'preparedRows', 'queryRows', 'sqlArray', 'epochMs'],
          message: DATABASE_MESSAGE,
        },
      ],
    },
  ],
  'no-restricted-syntax': [
    'error',
    { selector: "TaggedTemplateExpression[tag.name='sql']", message: DATABASE_MESSAGE },
    { selector: "TaggedTemplateExpression[tag.object.name='sql']", message: DATABASE_MESSAGE },
    { selector: "CallExpression[callee.property.name='execute']", message: DATABASE_MESSAGE },
    { selector: 'CallExpression[callee.name=/^(fixedRows|preparedRows|queryRows|sqlArray)$/]', message: DATABASE_MESSAGE },
    // the query builder reached without importing a table: `db.query.users.findFirst()`, `tx.$count(…)`
    { selector: "MemberExpression[object.name=/^(db|tx)$/][property.name=/^(query|select|selectDistinct|insert|update|delete|execute|\\$count|\\$with)$/]", message: DATABASE_MESSAGE },
    { selector: "MemberExpression[object.property.name='db'][property.name=/^(query|select|selectDistinct|insert|update|delete|execute|\\$count|\\$with)$/]", message: DATABASE_MESSAGE },
    // a later block's options replace an earlier one's: every file checked here is also refused `.transaction(`
    transactionSelector,
  ],
};

/** Where queries may be written: repositories, the database layer, and code that is not the server's. */
export const DATABASE_ACCESS_ALLOWED = [
  '**/*.repository.ts',
  'packages/server/src/db/**',
  '**/*.test.ts',
  '**/test/**',
  '**/*-test-helpers.ts',
  'bench/**',
  'e2e/**',
  'faults/**',
  'scripts/**',
];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.tools/**', 'data/**', '**/migrations/**', 'packages/web/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through config.ts only.' },
      ],
    },
  },
  {
    files: ['packages/server/src/**/*.ts'],
    ignores: TRANSACTION_ALLOWED,
    rules: transactionRules,
  },
  {
    files: ['packages/server/src/**/*.ts'],
    ignores: DATABASE_ACCESS_ALLOWED,
    rules: databaseAccessRules,
  },
  {
    files: ['**/config.ts', '**/*.test.ts', '**/test/**', 'bench/**', 'e2e/**', 'faults/**', 'vitest.config.ts', 'vitest.faults.config.ts', '**/vite.config.ts', 'scripts/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
