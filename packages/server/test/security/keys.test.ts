import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { accounts } from '../../src/db/schema/index.ts';
import { rotateSecrets } from '../../src/modules/accounts/secret-maintenance.ts';
import { createTokenVault } from '../../src/shared/crypto/token-vault.ts';
import { createTestApp, TEST_ORIGIN, TEST_SESSION_SECRET, type TestApp } from '../app.ts';
import { createAccount } from '../factories.ts';

const NEW_KEY = Buffer.alloc(32, 9).toString('base64url') + '=';
const OTHER_SECRET = 'another-session-secret-ABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789';

describe('keys: adding ENCRYPTION_KEYS never strands secrets; a boot that cannot read them refuses to start', () => {
  let t: TestApp;
  let accountId = '';
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-keys-'));
  const boot = (env: Record<string, string>) =>
    buildApp(loadConfig({ PUBLIC_BASE_URL: TEST_ORIGIN, DATA_DIR: dataDir, WORKERS_ENABLED: 'false', ...env }), {
      database: t.database,
      logger: pino({ level: 'silent' }),
    });

  beforeAll(async () => {
    t = await createTestApp();
    accountId = (await createAccount(t.database.db)).id;
    // stored with the key derived from SESSION_SECRET, as every install without ENCRYPTION_KEYS does
    await t.database.db.update(accounts).set({ accessTokenEncrypted: t.vault.encrypt('IGAA-the-token') }).where(eq(accounts.id, accountId));
  });
  afterAll(async () => {
    await t.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('with ENCRYPTION_KEYS set, the key derived from SESSION_SECRET still decrypts, and rotate-keys moves everything to the new key', async () => {
    const vault = createTokenVault({ sessionSecret: TEST_SESSION_SECRET, encryptionKeys: [NEW_KEY] });
    const [row] = await t.database.db.select().from(accounts).where(eq(accounts.id, accountId));
    expect(vault.decrypt(row?.accessTokenEncrypted ?? '')).toBe('IGAA-the-token');
    expect(vault.isCurrent(row?.accessTokenEncrypted ?? '')).toBe(false);
    const report = await rotateSecrets(t.database.db, vault);
    expect(report.changed).toBe(1);
    const [after] = await t.database.db.select().from(accounts).where(eq(accounts.id, accountId));
    const onlyNewKey = createTokenVault({ sessionSecret: OTHER_SECRET, encryptionKeys: [NEW_KEY] });
    expect(onlyNewKey.decrypt(after?.accessTokenEncrypted ?? '')).toBe('IGAA-the-token');
  });

  it('refuses to start, saying why, when no stored secret decrypts with the configured keys', async () => {
    await expect(boot({ SESSION_SECRET: OTHER_SECRET })).rejects.toThrow(/None of the stored Instagram access tokens can be decrypted/);
    const app = await boot({ SESSION_SECRET: OTHER_SECRET, ENCRYPTION_KEYS: NEW_KEY });
    await app.close();
  });

  it('refuses a weak SESSION_SECRET on the embedded database too', () => {
    expect(() => loadConfig({ SESSION_SECRET: 'changeme-changeme-changeme-changeme' })).toThrow(ConfigError);
    expect(() => loadConfig({ SESSION_SECRET: 'short' })).toThrow(/SESSION_SECRET: too short/);
    expect(() => loadConfig({})).not.toThrow();
  });
});
