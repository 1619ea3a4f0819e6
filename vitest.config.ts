import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';

// Six suites. `server` holds every test that touches the database; `.ci/run` runs it a second time
// with TEST_DATABASE_URL pointing at a real PostgreSQL server (`npm run test:db`). `security` (npm run test:security)
// holds the security suite: the route-auth table, throttles, revocation, other users' ids, and the security tests kept
// beside their modules (securityTestsInModules); it is part of `npm test`.
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const browserSuite = process.env.CI === 'true' || existsSync(chromium);
if (!browserSuite) {
  console.warn(`Browser suite (e2e) left out: no Chromium at ${chromium}. Install it with "apt-get install -y chromium" (CI always runs it).`);
}

// Security tests that live with the module they test: the security project runs them (npm run test:security), the
// server project leaves them out, so each runs once. Which issue 20 item each proves: docs/security.md, "Tests".
const securityTestsInModules = [
  'packages/server/src/modules/teammates/teammates.test.ts',
  'packages/server/src/modules/sending/media/uploads.test.ts',
  'packages/server/src/modules/oauth/meta-callbacks.test.ts',
  'packages/server/src/instagram/signed-request.test.ts',
  'packages/server/src/modules/delivery/endpoints/crm.routes.test.ts',
  'packages/server/src/shared/db-errors.test.ts',
  'packages/server/src/modules/operations/metrics.test.ts',
  'packages/server/src/modules/api-keys/api-keys.test.ts',
];

export default defineConfig({
  test: {
    // Vitest's default is one worker fewer than the cores: one on CI's two. The tests spend much of their time waiting
    // (on a database, a child process, a socket), so a worker per core runs them in much less time (README,
    // Development); the suites that share a port or a browser keep one file at a time (fileParallelism: false).
    maxWorkers: Math.max(2, availableParallelism()),
    projects: [
      { test: { name: 'contract', include: ['packages/contract/src/**/*.test.ts'] } },
      { test: { name: 'sim', include: ['packages/instagram-sim/**/*.test.ts'], testTimeout: 60_000 } },
      {
        test: {
          name: 'server',
          include: ['packages/server/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'packages/server/test/security/**', ...securityTestsInModules],
          // Generous bounds against hangs, not performance limits: a loaded 2-core CI machine is slow.
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'security',
          include: ['packages/server/test/security/**/*.test.ts', ...securityTestsInModules],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      // The web app's stores and components, in a simulated DOM.
      { plugins: [vue()], test: { name: 'web', include: ['packages/web/src/**/*.test.ts'], environment: 'happy-dom' } },
      // The web app in Debian's Chromium (playwright-core) against the built app, a real server and the simulator.
      // Always in CI (.ci/run installs Chromium); on a laptop without Chromium it is left out, saying so.
      // Threadline as deployed (npm run test:deploy, in CI): Debian's nginx in front, systemd's unit checks, several
      // processes on one PostgreSQL, the production install. Only when asked: it needs nginx, PostgreSQL and minutes.
      ...(process.env.TEST_DEPLOY === '1' ? [{
        test: {
          name: 'deploy',
          include: ['deploy/test/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 600_000,
          fileParallelism: false,
          globalSetup: ['e2e/global-setup.ts'],
        },
      }] : []),
      ...(browserSuite ? [{
        test: {
          name: 'e2e',
          include: ['e2e/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'e2e/security/**'],
          testTimeout: 90_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          globalSetup: ['e2e/global-setup.ts'],
        },
      }, {
        // the security suite's browser half (XSS in Chromium); npm run test:security runs both halves
        test: {
          name: 'security-browser',
          include: ['e2e/security/**/*.test.ts'],
          testTimeout: 90_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          globalSetup: ['e2e/global-setup.ts'],
        },
      }] : []),
    ],
  },
});
