import { apiKeySchema, routes } from '@threadline/contract';
import { route } from '../../http/route.ts';
import type { App } from '../../http/server.ts';
import { requireSession } from '../auth/auth.plugin.ts';
import type { AccountAccess } from '../accounts/account-access.ts';
import type { ApiKeysService, ApiKeyWithCreator } from './api-keys.service.ts';

export function presentApiKey({ key: row, creator }: ApiKeyWithCreator) {
  return {
    id: row.id,
    created_by: creator?.username ?? null,
    created_by_disabled: creator?.disabled ?? false,
    name: row.name,
    prefix: row.prefix,
    scopes: apiKeySchema.shape.scopes.parse(row.scopes),
    created_at: row.createdAt.toISOString(),
    last_used_at: row.lastUsedAt?.toISOString() ?? null,
    revoked_at: row.revokedAt?.toISOString() ?? null,
  };
}

/** An account's API keys: its owners and admins list, create and revoke them. */
export async function apiKeysRoutes(app: App, opts: { apiKeys: ApiKeysService; access: AccountAccess }) {
  const { apiKeys, access } = opts;
  const r = routes.apiKeys;

  route(app, r.list, async (req) => {
    const auth = requireSession(req);
    await access.requireRole(auth.userId, req.params.id, 'admin');
    return { api_keys: (await apiKeys.list(req.params.id)).map(presentApiKey) };
  });

  route(app, r.create, async (req, reply) => {
    const auth = requireSession(req);
    await access.requireRole(auth.userId, req.params.id, 'admin');
    const { row, key } = await apiKeys.create(req.params.id, req.body, auth.userId);
    return reply.code(201).send({ ...presentApiKey(await apiKeys.get(req.params.id, row.id)), key });
  });

  route(app, r.revoke, async (req) => {
    const auth = requireSession(req);
    await access.requireRole(auth.userId, req.params.id, 'admin');
    const revoked = await apiKeys.revoke(req.params.id, req.params.keyId, auth.userId);
    return presentApiKey(await apiKeys.get(req.params.id, revoked.id));
  });
}
