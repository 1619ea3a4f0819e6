import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/db.ts';
import { createAccount } from '../../../test/factories.ts';
import { accounts } from '../../db/schema/index.ts';
import { generateFernetKey } from '../../shared/crypto/fernet.ts';
import { createTokenVault } from '../../shared/crypto/token-vault.ts';
import { migrateLegacySecrets, rotateSecrets } from './secret-maintenance.ts';

describe('stored secrets: key rotation and legacy tokens', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database.close());

  it('re-encrypts every secret under the new first key, and the old key can then be dropped', async () => {
    const oldKey = generateFernetKey();
    const newKey = generateFernetKey();
    const before = createTokenVault({ sessionSecret: 'unused-unused-unused-unused-unused', encryptionKeys: [oldKey] });
    const account = await createAccount(database.db);
    await database.db
      .update(accounts)
      .set({ accessTokenEncrypted: before.encrypt('IGAA-token-1'), webhookSecret: before.encrypt('whsec_abc') })
      .where(eq(accounts.id, account.id));

    const during = createTokenVault({ sessionSecret: 'unused-unused-unused-unused-unused', encryptionKeys: [newKey, oldKey] });
    const report = await rotateSecrets(database.db, during);
    expect(report.changed).toBe(2);
    expect(report.unreadable).toEqual([]);
    expect((await rotateSecrets(database.db, during)).changed).toBe(0);

    const after = createTokenVault({ sessionSecret: 'unused-unused-unused-unused-unused', encryptionKeys: [newKey] });
    const [row] = await database.db.select().from(accounts).where(eq(accounts.id, account.id));
    expect(after.decrypt(row?.accessTokenEncrypted ?? '')).toBe('IGAA-token-1');
    expect(after.decrypt(row?.webhookSecret ?? '')).toBe('whsec_abc');
  });

  it('encrypts tokens the old system stored as plain base64, once', async () => {
    const vault = createTokenVault({ sessionSecret: 'a-session-secret-of-enough-length-123' });
    const account = await createAccount(database.db);
    const legacy = Buffer.from('IGQVJ-legacy-token', 'utf8').toString('base64');
    await database.db.update(accounts).set({ accessTokenEncrypted: legacy }).where(eq(accounts.id, account.id));

    const report = await migrateLegacySecrets(database.db, vault);
    expect(report.changed).toBeGreaterThanOrEqual(1);
    const [row] = await database.db.select().from(accounts).where(eq(accounts.id, account.id));
    expect(row?.accessTokenEncrypted).not.toBe(legacy);
    expect(vault.decrypt(row?.accessTokenEncrypted ?? '')).toBe('IGQVJ-legacy-token');
    const again = await migrateLegacySecrets(database.db, vault);
    expect(again.changed).toBe(0);
  });
});
