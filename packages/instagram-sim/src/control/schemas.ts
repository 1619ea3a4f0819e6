import { z } from 'zod';
import { instagramInboundAttachmentTypeSchema, instagramWebhookFieldSchema } from '@threadline/contract';
import { messagingAccessSchema } from '../state/schema.ts';

/** Bodies of the control API (`/_sim/…`). The typed client (client.ts) sends exactly these. */

export const DEFAULT_APP_FIELDS = [
  'messages',
  'message_reactions',
  'messaging_postbacks',
  'messaging_referral',
  'messaging_seen',
  'comments',
] as const;

export const createAppSchema = z.object({
  id: z.string().regex(/^\d+$/).optional(),
  name: z.string().min(1).default('Threadline'),
  secret: z.string().min(1).optional(),
  metaAppId: z.string().regex(/^\d+$/).optional(),
  metaAppSecret: z.string().min(1).optional(),
  redirectUris: z.array(z.url()).default([]),
  live: z.boolean().default(true),
  humanAgent: z.boolean().default(true),
  webhookFields: z.array(instagramWebhookFieldSchema).default([...DEFAULT_APP_FIELDS]),
  webhook: z.object({ callbackUrl: z.url(), verifyToken: z.string().min(1) }).optional(),
});
export type CreateAppInput = z.input<typeof createAppSchema>;

export const updateAppSchema = z.object({
  name: z.string().min(1).optional(),
  secret: z.string().min(1).optional(),
  redirectUris: z.array(z.url()).optional(),
  live: z.boolean().optional(),
  humanAgent: z.boolean().optional(),
  webhookFields: z.array(instagramWebhookFieldSchema).optional(),
});
export type UpdateAppInput = z.input<typeof updateAppSchema>;

export const webhookConfigSchema = z.object({
  callbackUrl: z.url(),
  verifyToken: z.string().min(1),
  fields: z.array(instagramWebhookFieldSchema).optional(),
});
export type WebhookConfigInput = z.input<typeof webhookConfigSchema>;

export const createIgUserSchema = z.object({ id: z.string().regex(/^\d+$/).optional(), username: z.string().min(1).optional() });
export type CreateIgUserInput = z.input<typeof createIgUserSchema>;

export const createAccountSchema = z.object({
  igId: z.string().regex(/^\d+$/).optional(),
  igUserId: z.string().optional(),
  username: z.string().min(1).optional(),
  name: z.string().optional(),
  accountType: z.enum(['Business', 'Media_Creator']).default('Business'),
  profilePictureUrl: z.url().optional(),
  biography: z.string().default(''),
  followersCount: z.number().int().min(0).default(1200),
  followsCount: z.number().int().min(0).default(150),
  mediaCount: z.number().int().min(0).max(1000).default(3),
});
export type CreateAccountInput = z.input<typeof createAccountSchema>;

export const updateAccountSchema = z.object({
  messagingAccess: messagingAccessSchema.optional(),
  username: z.string().min(1).optional(),
  name: z.string().optional(),
  followersCount: z.number().int().min(0).optional(),
});
export type UpdateAccountInput = z.input<typeof updateAccountSchema>;

export const createCustomerSchema = z.object({
  igsid: z.string().regex(/^\d+$/).optional(),
  username: z.string().min(1).optional(),
  name: z.string().optional(),
  profilePic: z.url().optional(),
  followerCount: z.number().int().min(0).default(42),
  isVerifiedUser: z.boolean().default(false),
  isUserFollowBusiness: z.boolean().default(false),
  isBusinessFollowUser: z.boolean().default(false),
});
export type CreateCustomerInput = z.input<typeof createCustomerSchema>;

export const issueTokenSchema = z.object({
  appId: z.string(),
  accountId: z.string(),
  kind: z.enum(['short', 'long']).default('long'),
  scopes: z.array(z.string()).default(['instagram_business_basic', 'instagram_business_manage_messages']),
});
export type IssueTokenInput = z.input<typeof issueTokenSchema>;

export const subscribeSchema = z.object({
  appId: z.string(),
  accountId: z.string(),
  fields: z.array(z.string()).default(['messages', 'message_reactions', 'messaging_seen', 'messaging_postbacks', 'messaging_referral']),
});
export type SubscribeInput = z.input<typeof subscribeSchema>;

export const revokeSchema = z.object({
  subcode: z.number().int().default(460),
  appId: z.string().optional(),
});
export type RevokeTokensInput = z.input<typeof revokeSchema>;

const inboundAttachmentSchema = z.object({ type: instagramInboundAttachmentTypeSchema, url: z.url() });

export const customerMessageSchema = z.object({
  to: z.string(),
  text: z.string().min(1).optional(),
  attachments: z.array(inboundAttachmentSchema).optional(),
  quickReply: z.object({ payload: z.string() }).optional(),
  replyTo: z.union([z.object({ mid: z.string() }), z.object({ story: z.object({ url: z.url(), id: z.string() }) })]).optional(),
  referral: z.record(z.string(), z.unknown()).optional(),
  isUnsupported: z.boolean().optional(),
  isSelf: z.boolean().optional(),
  /** false: recorded, no webhook (a message from before the app was connected); default true. */
  deliver: z.boolean().optional(),
});
export type CustomerMessageInput = z.input<typeof customerMessageSchema>;

export const reactionSchema = z.object({
  to: z.string(),
  mid: z.string(),
  action: z.enum(['react', 'unreact']).default('react'),
  reaction: z.string().optional(),
  emoji: z.string().optional(),
});
export type ReactionInput = z.input<typeof reactionSchema>;

export const midSchema = z.object({ to: z.string(), mid: z.string() });
export const editSchema = z.object({ to: z.string(), mid: z.string(), text: z.string().min(1) });
export const seenSchema = z.object({ to: z.string(), mid: z.string().optional() });
export const postbackSchema = z.object({ to: z.string(), title: z.string(), payload: z.string(), mid: z.string().optional() });
export const referralSchema = z.object({
  to: z.string(),
  ref: z.string(),
  source: z.string().default('IGME'),
  type: z.string().default('OPEN_THREAD'),
});
export const commentSchemaInput = z.object({ to: z.string(), text: z.string().min(1), mediaId: z.string().optional() });
export const blockSchema = z.object({ accountId: z.string(), blocked: z.boolean().default(true) });
export const businessMessageSchema = z.object({
  to: z.string(),
  text: z.string().min(1).optional(),
  attachments: z.array(inboundAttachmentSchema).optional(),
  /** false: recorded, no echo (typed before the app was connected); default true. */
  deliver: z.boolean().optional(),
});

/** The variants of real traffic (§3.7) that `POST /_sim/customers/:id/variants` sends, one event each. */
export const REAL_TRAFFIC_VARIANTS = [
  'like_heart', 'ig_story', 'ig_post', 'share_and_ig_post', 'ig_reel', 'unsupported_attachment', 'unsupported_flag',
  'unsend_string_flag', 'edit_without_text', 'edit_num_edit_string', 'reaction_emoji_only', 'seen_without_sender',
  'seen_redelivered', 'timestamp_seconds', 'numeric_ids', 'standby',
] as const;
export const variantEventSchema = z.object({
  to: z.string(),
  variant: z.enum(REAL_TRAFFIC_VARIANTS),
  /** The message an unsend, edit, reaction or seen receipt is about (any mid for a reaction). */
  mid: z.string().optional(),
  /** A message's text, or an edit's new text (kept by the simulator, so the message lookup answers it). */
  text: z.string().min(1).optional(),
  emoji: z.string().optional(),
});
export type VariantEventInput = z.input<typeof variantEventSchema>;
export type EditInput = z.input<typeof editSchema>;
export type SeenInput = z.input<typeof seenSchema>;
export type PostbackInput = z.input<typeof postbackSchema>;
export type ReferralInput = z.input<typeof referralSchema>;
export type CommentInput = z.input<typeof commentSchemaInput>;
export type BusinessMessageInput = z.input<typeof businessMessageSchema>;

export const clockSchema = z.object({
  advanceMs: z.number().int().min(0).optional(),
  advanceSeconds: z.number().min(0).optional(),
  advanceHours: z.number().min(0).optional(),
  advanceDays: z.number().min(0).optional(),
  set: z.number().int().optional(),
  frozen: z.boolean().optional(),
});
export type ClockInput = z.input<typeof clockSchema>;

export const webhookModePatchSchema = z.object({
  hold: z.boolean().optional(),
  batch: z.boolean().optional(),
  duplicates: z.boolean().optional(),
  reverse: z.boolean().optional(),
});
export type WebhookModeInput = z.input<typeof webhookModePatchSchema>;
