import { z } from 'zod';
import { apiKeyListSchema, apiKeySchema, createApiKeyRequestSchema, createdApiKeySchema } from '@threadline/contract';
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

const accountParams = z.object({ id: z.uuid() });

export async function apiKeysRoutes(app: App, opts: { apiKeys: ApiKeysService; access: AccountAccess }) {
  const { apiKeys, access } = opts;

  app.get(
    '/api/v1/accounts/:id/api-keys',
    { schema: { params: accountParams, response: { 200: apiKeyListSchema } } },
    async (req) => {
      const auth = requireSession(req);
      await access.requireRole(auth.userId, req.params.id, 'admin');
      return { api_keys: (await apiKeys.list(req.params.id)).map(presentApiKey) };
    },
  );

  app.post(
    '/api/v1/accounts/:id/api-keys',
    { schema: { params: accountParams, body: createApiKeyRequestSchema, response: { 201: createdApiKeySchema } } },
    async (req, reply) => {
      const auth = requireSession(req);
      await access.requireRole(auth.userId, req.params.id, 'admin');
      const { row, key } = await apiKeys.create(req.params.id, req.body, auth.userId);
      return reply.code(201).send({ ...presentApiKey(await apiKeys.get(req.params.id, row.id)), key });
    },
  );

  app.delete(
    '/api/v1/accounts/:id/api-keys/:keyId',
    { schema: { params: accountParams.extend({ keyId: z.uuid() }), response: { 200: apiKeySchema } } },
    async (req) => {
      const auth = requireSession(req);
      await access.requireRole(auth.userId, req.params.id, 'admin');
      const revoked = await apiKeys.revoke(req.params.id, req.params.keyId, auth.userId);
      return presentApiKey(await apiKeys.get(req.params.id, revoked.id));
    },
  );
}
