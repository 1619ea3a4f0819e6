import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../packages/server/src/config.ts';
import { ROOT } from './processes.ts';

const UNITS = path.join(ROOT, 'deploy/systemd');
const ANALYZE = '/usr/bin/systemd-analyze';

/** The shipped units with /opt/threadline pointing at this checkout (verify checks that ExecStart exists). */
function renderUnits(dir: string): string[] {
  return readdirSync(UNITS)
    .filter((f) => /\.(service|target)$/.test(f))
    .map((f) => {
      const target = path.join(dir, f);
      writeFileSync(target, readFileSync(path.join(UNITS, f), 'utf8').replaceAll('/opt/threadline', ROOT));
      return target;
    });
}

describe('the systemd units', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'threadline-units-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('pass systemd-analyze verify without a warning', () => {
    if (!existsSync(ANALYZE)) throw new Error('systemd-analyze is missing: apt-get install -y systemd (as .ci/run does)');
    const units = renderUnits(dir);
    expect(units.map((u) => path.basename(u)).sort()).toEqual(['threadline-worker@.service', 'threadline-workers.target', 'threadline.service']);
    const r = spawnSync(ANALYZE, ['verify', ...units], { cwd: dir, encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });

  it('run the API and the workers unprivileged, hardened, restarted on failure, with a data directory of their own', () => {
    for (const [unit, command] of [['threadline.service', 'serve'], ['threadline-worker@.service', 'worker']] as const) {
      const text = readFileSync(path.join(UNITS, unit), 'utf8');
      expect(text).toContain(`ExecStart=/opt/threadline/packages/server/bin/threadline ${command}\n`);
      for (const line of [
        'User=threadline',
        'EnvironmentFile=/etc/threadline/threadline.env',
        'Restart=on-failure',
        'NoNewPrivileges=yes',
        'ProtectSystem=strict',
        'ProtectHome=yes',
        'PrivateTmp=yes',
        'StateDirectory=threadline',
        'StateDirectoryMode=0700',
        'Environment=DATA_DIR=/var/lib/threadline',
        'CapabilityBoundingSet=\n',
        'KillSignal=SIGTERM',
      ]) {
        expect(text, `${unit}: ${line}`).toContain(line);
      }
    }
  });

  it('ship an environment file of Threadline settings only, valid once its secrets are filled in', () => {
    const env = Object.fromEntries(
      readFileSync(path.join(UNITS, 'threadline.env'), 'utf8')
        .split('\n')
        .filter((l) => /^[A-Z_]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    const config = loadConfig({ ...env, SESSION_SECRET: 'k3J9-vQ2xT8_mW4pL7zR1nB6yH0cF5dS2aE9uG3' });
    expect(config.warnings).toEqual([]);
    expect(config.trustProxy).toBe(1);
    expect(config.workersEnabled).toBe(false);
    expect(config.publicBaseUrl.protocol).toBe('https:');
  });
});
