import { defineConfig } from 'vitest/config';

// The fault suite (`npm run test:faults`): Threadline as its own processes under traffic while processes are killed,
// the database goes away and the CRM fails. Runs alone (not part of `npm test`): it takes minutes and the machine.
export default defineConfig({
  test: {
    name: 'faults',
    include: ['faults/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 240_000,
    fileParallelism: false,
    // the scenarios print their figures: show them
    silent: false,
  },
});
