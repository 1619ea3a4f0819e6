import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './processes.ts';

/**
 * The container image, built and started: minutes of debootstrap, apt and npm, so it runs only when asked
 * (TEST_CONTAINER=1 npm run test:deploy) and needs podman or docker (apt-get install -y podman debootstrap runc).
 */
describe.skipIf(process.env.TEST_CONTAINER !== '1')('the container image', () => {
  it('builds, starts as a non-root user on a fresh volume and passes /readyz (its health check)', () => {
    const r = spawnSync('sh', [path.join(ROOT, 'deploy/container/build.sh'), '--smoke'], { cwd: ROOT, encoding: 'utf8', timeout: 3_000_000, env: process.env });
    const output = `${r.stdout}${r.stderr}`;
    expect(r.status, output.slice(-4000)).toBe(0);
    expect(output).toMatch(/== ready after \d+s: \/readyz answered 200 .*"status":"ready".*health check: (healthy|starting); runs as threadline/);
  }, 3_000_000);
});
