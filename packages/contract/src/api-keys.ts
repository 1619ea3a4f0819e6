import { z } from 'zod';

/** `conversations:write`: change a conversation's status, assignee and labels, and add notes. */
export const API_KEY_SCOPES = ['messages:send', 'conversations:read', 'conversations:write'] as const;
export const apiKeyScopeSchema = z.enum(API_KEY_SCOPES);
export type ApiKeyScope = z.infer<typeof apiKeyScopeSchema>;

/** What each scope lets a key do, in words (the settings page and the API reference say it the same way). */
export const API_KEY_SCOPE_DESCRIPTIONS: Readonly<Record<ApiKeyScope, string>> = {
  'messages:send': 'send messages as this account',
  'conversations:read': 'read conversations and messages',
  'conversations:write': 'change status, assignee and labels, add notes',
};

export const apiKeySchema = z.object({
  id: z.string(),
  /** the user who created it (null once deleted); a key keeps working when they are disabled (docs/decisions/0005) */
  created_by: z.string().nullable(),
  created_by_disabled: z.boolean(),
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(apiKeyScopeSchema),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
});
export type ApiKey = z.infer<typeof apiKeySchema>;

export const apiKeyListSchema = z.object({ api_keys: z.array(apiKeySchema) });
export const createApiKeyRequestSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  scopes: z.array(apiKeyScopeSchema).min(1).max(API_KEY_SCOPES.length),
});
/** The only answer that ever carries the key itself. */
export const createdApiKeySchema = apiKeySchema.extend({ key: z.string() });
