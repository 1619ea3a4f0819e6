import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';
import { resolveSessionSecret } from './shared/session-secret.ts';

const silent = pino({ level: 'silent' });
const strongSecret = 'k3J9-vQ2xT8_mW4pL7zR1nB6yH0cF5dS2aE9uG3';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('runs with no configuration at all: port 8000, the embedded database in ./data', () => {
    const config = loadConfig({});
    expect(config.port).toBe(8000);
    expect(config.database).toEqual({ kind: 'pglite', dataDir: path.resolve('./data/pglite') });
    expect(config.publicBaseUrl.href).toBe('http://localhost:8000/');
    expect(config.secureCookies).toBe(false);
  });

  it('reports every problem at once', () => {
    const list = problems({ PORT: 'eighty', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' });
    expect(list).toHaveLength(4);
    expect(list.join('\n')).toMatch(/SESSION_SECRET: required/);
    expect(list.join('\n')).toMatch(/PORT/);
    expect(list.join('\n')).toMatch(/LOG_LEVEL/);
    expect(list.join('\n')).toMatch(/DATABASE_URL/);
  });

  it('requires a strong SESSION_SECRET with PostgreSQL', () => {
    expect(problems({ DATABASE_URL: 'postgres://localhost/tl' })[0]).toMatch(/SESSION_SECRET: required/);
    expect(problems({ DATABASE_URL: 'postgres://localhost/tl', SESSION_SECRET: 'short' })[0]).toMatch(/too short/);
    expect(problems({ DATABASE_URL: 'postgres://localhost/tl', SESSION_SECRET: 'a'.repeat(40) })[0]).toMatch(/repetitive/);
    expect(problems({ DATABASE_URL: 'postgres://localhost/tl', SESSION_SECRET: strongSecret })).toEqual([]);
  });

  it('refuses ENCRYPTION_KEYS that are not Fernet keys, naming which one', () => {
    const good = Buffer.alloc(32, 7).toString('base64url') + '=';
    expect(problems({ ENCRYPTION_KEYS: `${good},nope` })).toEqual([
      'ENCRYPTION_KEYS: key #2 is not a Fernet key (url-safe base64 of 32 bytes)',
    ]);
    expect(loadConfig({ ENCRYPTION_KEYS: ` ${good} ` }).encryptionKeys).toEqual([good]);
  });

  it('uses secure cookies when the public URL is https', () => {
    expect(loadConfig({ PUBLIC_BASE_URL: 'https://inbox.example.com' }).secureCookies).toBe(true);
  });

  it('generates a session secret once into the data directory, readable only by its owner', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-cfg-'));
    try {
      const config = loadConfig({ DATA_DIR: dir });
      const first = resolveSessionSecret(config, silent);
      expect(first.length).toBeGreaterThanOrEqual(48);
      const stat = fs.statSync(path.join(dir, 'session-secret'));
      expect(stat.mode & 0o777).toBe(0o600);
      expect(resolveSessionSecret(config, silent)).toBe(first);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
