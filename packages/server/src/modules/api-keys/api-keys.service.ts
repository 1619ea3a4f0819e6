import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { API_KEY_SCOPES, type ApiKeyScope } from '@threadline/contract';
import type { Db } from '../../db/client.ts';
import { accounts, apiKeys, users } from '../../db/schema/index.ts';
import { constantTimeEqual, randomToken, sha256Hex } from '../../shared/crypto/random.ts';
import type { ApiKeyAuth } from '../auth/auth.plugin.ts';
import type { AuditLog } from '../audit/audit.repository.ts';
import { apiKeyErrors } from './api-keys.errors.ts';

export type ApiKeyRow = typeof apiKeys.$inferSelect;
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
  return {
    async list(accountId: string, keyId?: string): Promise<ApiKeyWithCreator[]> {
      const rows = await db
        .select({ key: apiKeys, username: users.username, disabledAt: users.disabledAt })
        .from(apiKeys)
        .leftJoin(users, eq(users.id, apiKeys.createdByUserId))
        .where(and(eq(apiKeys.accountId, accountId), keyId ? eq(apiKeys.id, keyId) : undefined))
        .orderBy(desc(apiKeys.createdAt));
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
      const [row] = await db
        .insert(apiKeys)
        .values({
          accountId,
          name: input.name,
          prefix,
          keyHash: sha256Hex(key),
          scopes: [...new Set(input.scopes)],
          createdByUserId: actorUserId,
        })
        .returning();
      if (!row) throw new Error('insert returned no row');
      await audit({ action: 'api_keys.created', actorUserId, accountId, target: row.id });
      return { row, key };
    },

    async revoke(accountId: string, keyId: string, actorUserId: string): Promise<ApiKeyRow> {
      const [row] = await db
        .update(apiKeys)
        .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
        .where(and(eq(apiKeys.id, keyId), eq(apiKeys.accountId, accountId)))
        .returning();
      if (!row) throw apiKeyErrors.notFound();
      await audit({ action: 'api_keys.revoked', actorUserId, accountId, target: keyId });
      return row;
    },

    /** Authenticates an `X-API-Key`; checks the scope a route asks for. */
    async authenticate(key: string, requiredScope: ApiKeyScope | undefined): Promise<ApiKeyAuth> {
      const match = KEY_FORMAT.exec(key.trim());
      if (!match) throw apiKeyErrors.invalidKey();
      const prefix = `tl_${match[1]}`;
      const [row] = await db
        .select({ key: apiKeys, accountStatus: accounts.status })
        .from(apiKeys)
        .innerJoin(accounts, eq(accounts.id, apiKeys.accountId))
        .where(and(eq(apiKeys.prefix, prefix), isNull(apiKeys.revokedAt)))
        .limit(1);
      if (!row || !constantTimeEqual(row.key.keyHash, sha256Hex(key.trim()))) {
        throw apiKeyErrors.invalidKey();
      }
      const scopes = row.key.scopes.filter((s): s is ApiKeyScope => (API_KEY_SCOPES as readonly string[]).includes(s));
      if (requiredScope && !scopes.includes(requiredScope)) {
        throw apiKeyErrors.missingScope(requiredScope);
      }
      const t = now();
      if (!row.key.lastUsedAt || t.getTime() - row.key.lastUsedAt.getTime() > LAST_USED_GRANULARITY_MS) {
        await db.update(apiKeys).set({ lastUsedAt: t }).where(eq(apiKeys.id, row.key.id));
      }
      return { kind: 'api_key', keyId: row.key.id, accountId: row.key.accountId, scopes };
    },
  };
}
export type ApiKeysService = ReturnType<typeof createApiKeysService>;
