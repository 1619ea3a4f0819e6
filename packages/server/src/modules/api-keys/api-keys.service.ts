import { API_KEY_SCOPES, type ApiKeyScope } from '@threadline/contract';
import type { Db } from '../../db/client.ts';
import { constantTimeEqual, randomToken, sha256Hex } from '../../shared/crypto/random.ts';
import type { ApiKeyAuth } from '../auth/auth.plugin.ts';
import type { AuditLog } from '../audit/audit.repository.ts';
import { apiKeyErrors } from './api-keys.errors.ts';
import { createApiKeysRepository, type ApiKeyRow } from './api-keys.repository.ts';

export type { ApiKeyRow };
/** A key with who created it (null once that user is deleted) and whether that user is disabled now. */
export type ApiKeyWithCreator = { key: ApiKeyRow; creator: { username: string; disabled: boolean } | null };

const KEY_FORMAT = /^tl_([A-Za-z0-9]{10})_([A-Za-z0-9_-]{43})$/;
const LAST_USED_GRANULARITY_MS = 60_000;

/** `tl_<10-char public prefix>_<43-char secret>`: the prefix finds the row, only a SHA-256 of the whole key is kept. */
function newKey(): { key: string; prefix: string } {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = Buffer.from(randomToken(16), 'base64url');
  let id = '';
  for (let i = 0; i < 10; i += 1) id += alphabet[(bytes[i] ?? 0) % alphabet.length];
  const prefix = `tl_${id}`;
  return { key: `${prefix}_${randomToken(32)}`, prefix };
}

export function createApiKeysService(db: Db, audit: AuditLog, now: () => Date = () => new Date()) {
  const repo = createApiKeysRepository(db);
  return {
    async list(accountId: string, keyId?: string): Promise<ApiKeyWithCreator[]> {
      const rows = await repo.list(accountId, keyId);
      return rows.map((r) => ({ key: r.key, creator: r.username === null ? null : { username: r.username, disabled: r.disabledAt !== null } }));
    },

    /** One key of the account with its creator (after creating or revoking it). */
    async get(accountId: string, keyId: string): Promise<ApiKeyWithCreator> {
      const [found] = await this.list(accountId, keyId);
      if (!found) throw apiKeyErrors.notFound();
      return found;
    },

    async create(accountId: string, input: { name: string; scopes: ApiKeyScope[] }, actorUserId: string) {
      const { key, prefix } = newKey();
      const row = await repo.insert({
        accountId,
        name: input.name,
        prefix,
        keyHash: sha256Hex(key),
        scopes: [...new Set(input.scopes)],
        createdByUserId: actorUserId,
      });
      if (!row) throw new Error('insert returned no row');
      await audit({ action: 'api_keys.created', actorUserId, accountId, target: row.id });
      return { row, key };
    },

    async revoke(accountId: string, keyId: string, actorUserId: string): Promise<ApiKeyRow> {
      const row = await repo.revoke(accountId, keyId);
      if (!row) throw apiKeyErrors.notFound();
      await audit({ action: 'api_keys.revoked', actorUserId, accountId, target: keyId });
      return row;
    },

    /** Authenticates an `X-API-Key`; checks the scope a route asks for. */
    async authenticate(key: string, requiredScope: ApiKeyScope | undefined): Promise<ApiKeyAuth> {
      const match = KEY_FORMAT.exec(key.trim());
      if (!match) throw apiKeyErrors.invalidKey();
      const prefix = `tl_${match[1]}`;
      const row = await repo.findActiveByPrefix(prefix);
      if (!row || !constantTimeEqual(row.key.keyHash, sha256Hex(key.trim()))) {
        throw apiKeyErrors.invalidKey();
      }
      const scopes = row.key.scopes.filter((s): s is ApiKeyScope => (API_KEY_SCOPES as readonly string[]).includes(s));
      if (requiredScope && !scopes.includes(requiredScope)) {
        throw apiKeyErrors.missingScope(requiredScope);
      }
      const t = now();
      if (!row.key.lastUsedAt || t.getTime() - row.key.lastUsedAt.getTime() > LAST_USED_GRANULARITY_MS) {
        await repo.touchLastUsed(row.key.id, t);
      }
      return { kind: 'api_key', keyId: row.key.id, accountId: row.key.accountId, scopes };
    },
  };
}
export type ApiKeysService = ReturnType<typeof createApiKeysService>;
