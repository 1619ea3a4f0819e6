import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, SETTING_NAMES } from './config.ts';
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

  it('configures "Continue with Facebook" from the Meta app id and secret, with Meta’s hosts and version by default', () => {
    expect(loadConfig({}).facebook).toMatchObject({ oauth: null, dialogUrl: 'https://www.facebook.com', graphUrl: 'https://graph.facebook.com', graphVersion: 'v25.0' });
    const config = loadConfig({ FACEBOOK_APP_ID: '123456', FACEBOOK_APP_SECRET: 'fb-secret', PUBLIC_BASE_URL: 'https://inbox.example.com', INSTAGRAM_GRAPH_VERSION: 'v24.0' });
    expect(config.facebook).toMatchObject({
      graphVersion: 'v24.0',
      callbackSecrets: ['fb-secret'],
      oauth: {
        appId: '123456',
        appSecret: 'fb-secret',
        redirectUri: 'https://inbox.example.com/oauth/facebook/callback',
        scopes: ['instagram_basic', 'instagram_manage_messages', 'pages_manage_metadata', 'pages_show_list', 'pages_read_engagement', 'business_management'],
      },
    });
    // Webhooks of Page-linked accounts are signed with the Facebook app secret.
    expect(config.instagram.appSecrets).toContain('fb-secret');
    expect(loadConfig({ FACEBOOK_APP_ID: '1', FACEBOOK_APP_SECRET: 's', FACEBOOK_OAUTH_SCOPES: 'instagram_basic pages_show_list', FACEBOOK_GRAPH_VERSION: 'v23.0' }).facebook).toMatchObject({
      graphVersion: 'v23.0',
      oauth: { scopes: ['instagram_basic', 'pages_show_list'] },
    });
  });

  it('refuses a Facebook app id that is not numeric, a bad version and an unknown INSTAGRAM_LEGACY_API', () => {
    const list = problems({ FACEBOOK_APP_ID: 'my-app', FACEBOOK_GRAPH_VERSION: '25', INSTAGRAM_LEGACY_API: 'graph' }).join('\n');
    expect(list).toMatch(/FACEBOOK_APP_ID/);
    expect(list).toMatch(/FACEBOOK_GRAPH_VERSION/);
    expect(list).toMatch(/INSTAGRAM_LEGACY_API/);
    expect(loadConfig({}).instagram.legacyApi).toBe('auto');
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

  it('names every problem in one run, the checks across keys included, so no second round follows the first fix', () => {
    const list = problems({
      PORT: 'eighty',
      ENCRYPTION_KEYS: 'nope',
      TRUST_PROXY: 'true',
      CRM_RETRY_SCHEDULE: 'soon',
      INSTAGRAM_BUSINESS_ACCOUNT_ID: '123',
      METRICS_TOKEN: 'short',
    });
    expect(list.map((p) => p.split(':')[0]).sort()).toEqual([
      'CRM_RETRY_SCHEDULE',
      'ENCRYPTION_KEYS',
      'INSTAGRAM_BUSINESS_ACCOUNT_ID and INSTAGRAM_PAGE_ACCESS_TOKEN',
      'METRICS_TOKEN',
      'PORT',
      'TRUST_PROXY',
    ]);
  });

  it('warns about a misspelt setting and names the one meant, without failing the boot', () => {
    const config = loadConfig({ INSTAGRAM_OAUTH_CLIENT_SECERT: 'x', CRM_TIMEOUT: '5', SESSON_SECRET: 'y', PATH: '/bin', HOME: '/root', SESSION_MANAGER: 'local/x' });
    expect(config.warnings).toEqual([
      'CRM_TIMEOUT is not a Threadline setting and is ignored (did you mean CRM_TIMEOUT_MS?)',
      'INSTAGRAM_OAUTH_CLIENT_SECERT is not a Threadline setting and is ignored (did you mean INSTAGRAM_OAUTH_CLIENT_SECRET?)',
      'SESSON_SECRET is not a Threadline setting and is ignored (did you mean SESSION_SECRET?)',
    ]);
    expect(loadConfig({ PORT: '8000' }).warnings).toEqual([]);
  });

  it('trusts no proxy by default, a hop count or the proxies\' networks when told, and refuses to trust every hop', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,loopback' }).trustProxy).toEqual(['127.0.0.1', '10.0.0.0/8', 'loopback']);
    expect(problems({ TRUST_PROXY: 'true' })[0]).toMatch(/TRUST_PROXY: "true" would trust every hop/);
    expect(problems({ TRUST_PROXY: '10.0.0.1/8' })[0]).toMatch(/TRUST_PROXY: not a hop count/);
  });

  it('serves metrics on the main port to loopback only unless told otherwise', () => {
    const config = loadConfig({});
    expect(config.metrics.port).toBeNull();
    expect(config.metrics.token).toBeUndefined();
    expect(config.metrics.allowedNetworks.map((c) => c.text)).toEqual(['127.0.0.0/8', '::1/128']);
    expect(loadConfig({ METRICS_PORT: '9464', HOST: '0.0.0.0' }).metrics).toMatchObject({ port: 9464, host: '0.0.0.0' });
    expect(problems({ METRICS_PORT: '8000' })).toEqual(['METRICS_PORT: must differ from PORT']);
  });

  it('documents every setting in .env.example, and .env.example names only settings', () => {
    const example = Object.fromEntries(
      fs
        .readFileSync(new URL('../../../.env.example', import.meta.url), 'utf8')
        .split('\n')
        .filter((l) => /^[A-Z][A-Z0-9_]*=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    const documented = Object.keys(example);
    // the example as it stands is a valid configuration, with no unknown name in it
    expect(loadConfig(example).warnings).toEqual([]);
    expect(SETTING_NAMES.filter((k) => !documented.includes(k))).toEqual([]);
  });
});
