import type { Db } from '../../db/client.ts';
import type { TokenVault } from '../../shared/crypto/token-vault.ts';
import { createAccountSecretsRepository, SECRET_COLUMNS, type SecretColumn } from './account-secrets.repository.ts';

export type SecretReport = { accounts: number; changed: number; unchanged: number; unreadable: { accountId: string; column: SecretColumn }[] };

async function rewriteSecrets(
  db: Db,
  transform: (value: string) => string | null,
): Promise<SecretReport> {
  const repo = createAccountSecretsRepository(db);
  const rows = await repo.withSecrets();
  const report: SecretReport = { accounts: rows.length, changed: 0, unchanged: 0, unreadable: [] };
  for (const row of rows) {
    const update: Partial<Record<SecretColumn, string>> = {};
    for (const column of SECRET_COLUMNS) {
      const value = row[column];
      if (value === null) continue;
      try {
        const next = transform(value);
        if (next === null) report.unchanged += 1;
        else {
          update[column] = next;
          report.changed += 1;
        }
      } catch {
        report.unreadable.push({ accountId: row.id, column });
      }
    }
    if (Object.keys(update).length > 0) {
      await repo.updateSecrets(row.id, update);
    }
  }
  return report;
}

/** `threadline rotate-keys`: re-encrypts every secret not yet under the first key of ENCRYPTION_KEYS. */
export function rotateSecrets(db: Db, vault: TokenVault): Promise<SecretReport> {
  return rewriteSecrets(db, (value) => {
    if (vault.classify(value) !== 'fernet') return null;
    return vault.isCurrent(value) ? null : vault.reencrypt(value);
  });
}

/** `threadline migrate-tokens`: encrypts values the old system stored as plain base64. */
export function migrateLegacySecrets(db: Db, vault: TokenVault): Promise<SecretReport> {
  return rewriteSecrets(db, (value) => {
    if (vault.classify(value) !== 'legacy-base64') return null;
    return vault.encrypt(vault.decodeLegacy(value));
  });
}

const SECRET_NAMES: Record<SecretColumn, string> = {
  accessTokenEncrypted: 'Instagram access tokens',
  refreshTokenEncrypted: 'refresh tokens',
  webhookSecret: 'CRM webhook secrets',
  webhookSecretPrevious: 'previous CRM webhook secrets',
};

/**
 * The boot check: for each kind of stored secret, a few encrypted values; when there are some and not one decrypts,
 * the keys changed under the data (ENCRYPTION_KEYS replaced, SESSION_SECRET changed): refuse to start, saying so,
 * rather than run with every account unable to send. An empty database passes.
 */
export async function undecryptableSecretKinds(db: Db, vault: TokenVault, sample = 5): Promise<string[]> {
  const repo = createAccountSecretsRepository(db);
  const stuck: string[] = [];
  for (const column of SECRET_COLUMNS) {
    const values = await repo.sample(column, sample);
    const encrypted = values.filter((v): v is string => v !== null && vault.classify(v) === 'fernet');
    if (encrypted.length === 0) continue;
    const readable = encrypted.some((value) => {
      try {
        vault.decrypt(value);
        return true;
      } catch {
        return false;
      }
    });
    if (!readable) stuck.push(SECRET_NAMES[column]);
  }
  return stuck;
}
