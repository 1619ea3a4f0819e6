import { z } from 'zod';
import { INSTAGRAM_RATE_LIMITS } from '@threadline/contract';

/**
 * Where the platform reference marks a point [?], the simulator supports every documented variant. These settings
 * choose which one it plays; the control API changes them (`PATCH /_sim/variants`).
 */
export const variantsSchema = z.object({
  /** §1.2: `{data:[{…}]}` as documented, or the flat object production code sees. */
  tokenResponseShape: z.enum(['data', 'flat']).default('data'),
  /** §1.2: `user_id` as a string, or as a bare JSON number (bigger than 2^53, so JSON.parse corrupts it). */
  tokenUserIdType: z.enum(['string', 'number']).default('string'),
  /** §1.2: which id the token response calls `user_id`: the app-scoped id (docs) or the IG_ID. */
  tokenUserId: z.enum(['app-scoped', 'ig-id']).default('app-scoped'),
  /** §1.4: whether a refresh answer carries `permissions`. */
  refreshIncludesPermissions: z.boolean().default(true),
  /** §2: `/me` flat (as CW reads it) or wrapped in `data[]` (as GS shows it). */
  meResponseShape: z.enum(['flat', 'data']).default('flat'),
  /** §2: whether `/me` knows `biography` (not in GS's list). */
  meSupportsBiography: z.boolean().default(false),
  /** §1.1: the dashboard may add a trailing slash to redirect URIs it stores. */
  dashboardAddsTrailingSlash: z.boolean().default(false),
  /** §3.2: which secret signs webhooks. */
  webhookSecret: z.enum(['instagram', 'meta']).default('instagram'),
  /** §3.5: `time`/`timestamp` as numbers (examples) or quoted strings (some templates). */
  timestampFormat: z.enum(['number', 'string']).default('number'),
  /** §3.6: `attachments` as an array (usual) or a single object (one parser test). */
  attachmentsFormat: z.enum(['array', 'object']).default('array'),
  /** §3.6: which field delivers `message_edit` is [?]: with `messages`, or not at all ("only for Messenger"). */
  messageEdits: z.enum(['messages', 'none']).default('messages'),
  /** §3.4: accept MSG's spellings `messaging_reactions` / `messaging_referrals` as aliases. */
  acceptFieldAliases: z.boolean().default(true),
  /** §4/§6: the subcode of an outside-the-window error. */
  windowErrorSubcode: z.union([z.literal(2534022), z.literal(2018278)]).default(2534022),
  /** §4: whether a top-level `reply_to` on the Send API is accepted. */
  outboundReplyTo: z.enum(['accept', 'reject']).default('accept'),
  /** §6: which throttling error a rate-limited call gets. */
  rateLimitError: z
    .enum(['messagingRateLimit', 'appRateLimit', 'userRateLimit', 'pageRateLimit', 'bucRateLimit'])
    .default('messagingRateLimit'),
  /** §6: per account limits, per second. */
  rateLimits: z
    .object({
      textPerSecond: z.number().int().positive().default(INSTAGRAM_RATE_LIMITS.textPerSecond),
      mediaPerSecond: z.number().int().positive().default(INSTAGRAM_RATE_LIMITS.mediaPerSecond),
      conversationsPerSecond: z.number().int().positive().default(INSTAGRAM_RATE_LIMITS.conversationsPerSecond),
    })
    .prefault({}),
  // Real traffic (§3.7): shapes that live bodies and other integrations' captures show, unlike Meta's examples.
  /** §3.7: `time`/`timestamp` in epoch ms (examples) or in seconds (dashboard samples, some captures). */
  timestampUnit: z.enum(['ms', 'seconds']).default('ms'),
  /** §3.7: ids (entry, sender, recipient) as JSON strings, or as bare JSON numbers (above 2^53 for IG_IDs). */
  idFormat: z.enum(['string', 'number']).default('string'),
  /** §3.7: which list of the entry carries messaging items: `messaging`, or `standby` (another app owns the thread). */
  eventList: z.enum(['messaging', 'standby']).default('messaging'),
  /** §3.7: an unsend's `is_deleted` as boolean `true` (live) or the string `"true"` (an older example). */
  isDeletedFormat: z.enum(['boolean', 'string']).default('boolean'),
  /** §3.7: whether `message_edit` carries `text` (examples), or only `{mid, num_edit}` (a live Instagram-Login body). */
  editText: z.enum(['included', 'omitted']).default('included'),
  /** §3.7: `num_edit` as a number or a string; `zero-based` sends 0 for the first edit, as the live body did. */
  numEditFormat: z.enum(['number', 'string', 'zero-based']).default('number'),
  /** §3.7: a reaction as `{reaction:"love", emoji}` or with `emoji` alone. */
  reactionFormat: z.enum(['named', 'emoji_only']).default('named'),
  /** §3.7: whether a seen event carries `sender`; and whether each is delivered twice (same mid and timestamp). */
  seenSender: z.enum(['included', 'omitted']).default('included'),
  seenRedelivery: z.boolean().default(false),
  /** §3.7: unsupported content as the `is_unsupported` flag or as an `unsupported_type` attachment without it. */
  unsupportedFormat: z.enum(['flag', 'attachment']).default('flag'),
  /** §3.7: a shared post as a `share` attachment, a rich `ig_post` one, or both in one message. */
  shareFormat: z.enum(['share', 'ig_post', 'both']).default('share'),
  /** §3.7: Graph errors typed `OAuthException` (Messenger docs), or `IGApiException` as graph.instagram.com answers (403 for code 10). */
  graphErrorType: z.enum(['OAuthException', 'IGApiException']).default('OAuthException'),
  /** Webhook delivery timeout (real ms); Meta's exact figure is [?] (old docs: 20 s). */
  webhookTimeoutMs: z.number().int().positive().default(20_000),
});
export type Variants = z.infer<typeof variantsSchema>;
export const variantsPatchSchema = variantsSchema.partial().extend({
  rateLimits: z
    .object({
      textPerSecond: z.number().int().positive(),
      mediaPerSecond: z.number().int().positive(),
      conversationsPerSecond: z.number().int().positive(),
    })
    .partial()
    .optional(),
});
export type VariantsPatch = z.infer<typeof variantsPatchSchema>;

export const defaultVariants = (): Variants => variantsSchema.parse({});

export function applyVariantsPatch(current: Variants, patch: VariantsPatch): Variants {
  const { rateLimits, ...rest } = patch;
  const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  return variantsSchema.parse({ ...current, ...defined, rateLimits: { ...current.rateLimits, ...rateLimits } });
}
