import { z } from 'zod';
import { instagramWebhookFieldSchema } from '@threadline/contract';
import { facebookStateSchema } from '../facebook/state.ts';
import { variantsSchema } from '../variants.ts';

/** The simulator's whole state, as zod schemas: the state file is parsed with them when it is loaded. */

const record = z.record(z.string(), z.unknown());

export const appSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** The Instagram App Secret (Instagram › API setup with Instagram login). */
  secret: z.string(),
  /** The main Meta app id and secret, for the webhook-secret variant (§3.2). */
  metaAppId: z.string(),
  metaAppSecret: z.string(),
  redirectUris: z.array(z.string()),
  /** Webhooks reach only live apps (§3.3). */
  live: z.boolean(),
  /** The "Human Agent" feature (App Review), needed for the HUMAN_AGENT tag. */
  humanAgent: z.boolean(),
  /** Fields the app subscribes to in the dashboard; every subscribed account gets all of them (§3.3). */
  webhookFields: z.array(instagramWebhookFieldSchema),
  webhook: z.object({ callbackUrl: z.string(), verifyToken: z.string(), verifiedAt: z.number() }).nullable(),
  createdAt: z.number(),
});
export type SimApp = z.infer<typeof appSchema>;

export const igUserSchema = z.object({ id: z.string(), username: z.string() });
export type SimIgUser = z.infer<typeof igUserSchema>;

export const messagingAccessSchema = z.enum(['enabled', 'disabled_by_owner', 'blocked', 'restricted']);
export const accountSchema = z.object({
  igId: z.string(),
  igUserId: z.string(),
  username: z.string(),
  name: z.string(),
  accountType: z.enum(['Business', 'Media_Creator']),
  profilePictureUrl: z.string(),
  biography: z.string(),
  followersCount: z.number(),
  followsCount: z.number(),
  mediaIds: z.array(z.string()),
  messagingAccess: messagingAccessSchema,
});
export type SimAccount = z.infer<typeof accountSchema>;

export const customerSchema = z.object({
  igsid: z.string(),
  username: z.string(),
  name: z.string(),
  profilePic: z.string(),
  followerCount: z.number(),
  isVerifiedUser: z.boolean(),
  isUserFollowBusiness: z.boolean(),
  isBusinessFollowUser: z.boolean(),
  /** IG_IDs of accounts this customer has blocked. */
  blockedAccounts: z.array(z.string()),
});
export type SimCustomer = z.infer<typeof customerSchema>;

export const authCodeSchema = z.object({
  code: z.string(),
  appId: z.string(),
  accountId: z.string(),
  redirectUri: z.string(),
  scopes: z.array(z.string()),
  createdAt: z.number(),
  used: z.boolean(),
});
export type SimAuthCode = z.infer<typeof authCodeSchema>;

export const tokenSchema = z.object({
  token: z.string(),
  kind: z.enum(['short', 'long']),
  appId: z.string(),
  accountId: z.string(),
  scopes: z.array(z.string()),
  issuedAt: z.number(),
  expiresAt: z.number(),
  /** Set when the token was invalidated: the 190 subcode it answers with. */
  revokedSubcode: z.number().nullable(),
});
export type SimToken = z.infer<typeof tokenSchema>;

export const subscriptionSchema = z.object({
  appId: z.string(),
  accountId: z.string(),
  fields: z.array(z.string()),
  createdAt: z.number(),
});
export type SimSubscription = z.infer<typeof subscriptionSchema>;

export const conversationSchema = z.object({
  id: z.string(),
  accountId: z.string(),
  customerId: z.string(),
  createdAt: z.number(),
  updatedAt: z.number(),
  /** Last customer message or postback: the 24-hour / 7-day windows start here. */
  lastCustomerMessageAt: z.number().nullable(),
});
export type SimConversation = z.infer<typeof conversationSchema>;

export const storedAttachmentSchema = z.object({ type: z.string(), payload: record.optional() });
export const messageSchema = z.object({
  mid: z.string(),
  conversationId: z.string(),
  direction: z.enum(['inbound', 'outbound']),
  senderId: z.string(),
  recipientId: z.string(),
  text: z.string().nullable(),
  attachments: z.array(storedAttachmentSchema),
  createdAt: z.number(),
  deleted: z.boolean(),
  editCount: z.number(),
  isUnsupported: z.boolean(),
  /** `api` = sent by an app through the Send API, `instagram_app` = typed in the Instagram app. */
  source: z.enum(['customer', 'api', 'instagram_app']),
  sentByAppId: z.string().nullable(),
});
export type SimMessage = z.infer<typeof messageSchema>;

export const outboxEntrySchema = z.object({
  id: z.string(),
  appId: z.string(),
  accountId: z.string(),
  recipientId: z.string(),
  kind: z.enum(['message', 'sender_action']),
  body: record,
  mid: z.string().nullable(),
  at: z.number(),
});
export type SimOutboxEntry = z.infer<typeof outboxEntrySchema>;

export const commentSchema = z.object({
  id: z.string(),
  accountId: z.string(),
  customerId: z.string(),
  mediaId: z.string(),
  text: z.string(),
  createdAt: z.number(),
  privateReplied: z.boolean(),
});
export type SimComment = z.infer<typeof commentSchema>;

export const heldEventSchema = z.object({
  appId: z.string(),
  accountId: z.string(),
  /** `messaging` events go to `entry[].messaging[]`, `changes` to `entry[].changes[]`. */
  kind: z.enum(['messaging', 'changes']),
  event: record,
  createdAt: z.number(),
  /** A `messaging` event delivered in `standby[]` instead (§3.7); default: the `eventList` variant. */
  list: z.enum(['messaging', 'standby']).optional(),
  /** Shapes of this event's delivery (§3.7) instead of the variants' (a control call emitting one variant). */
  format: z
    .object({ timestampUnit: z.enum(['ms', 'seconds']), timestampFormat: z.enum(['number', 'string']), idFormat: z.enum(['string', 'number']) })
    .partial()
    .optional(),
  /** `meta`: the app hears of the account through a Facebook Page subscription (§7), signed with the Meta app secret. */
  signedWith: z.literal('meta').optional(),
});
export type SimHeldEvent = z.infer<typeof heldEventSchema>;

export const deliverySchema = z.object({
  id: z.string(),
  appId: z.string(),
  url: z.string(),
  body: z.string(),
  eventCount: z.number(),
  status: z.enum(['pending', 'delivered', 'dropped']),
  attempts: z.number(),
  createdAt: z.number(),
  nextAttemptAt: z.number(),
  /** As on the held events: `meta` for deliveries of a Page subscription. */
  signedWith: z.literal('meta').optional(),
});
export type SimDelivery = z.infer<typeof deliverySchema>;

export const attemptSchema = z.object({
  deliveryId: z.string(),
  attempt: z.number(),
  kind: z.enum(['event', 'verification']),
  at: z.number(),
  url: z.string(),
  status: z.number().nullable(),
  ok: z.boolean(),
  error: z.string().nullable(),
  body: z.string(),
  signature: z.string().nullable(),
});
export type SimAttempt = z.infer<typeof attemptSchema>;

export const webhookModeSchema = z.object({
  /** Keep events until `POST /_sim/webhooks/flush`. */
  hold: z.boolean().default(false),
  /** On flush, put all held events of an app in one POST (entries per account, several events each). */
  batch: z.boolean().default(false),
  /** Send every POST twice. */
  duplicates: z.boolean().default(false),
  /** On flush, release held events newest first. */
  reverse: z.boolean().default(false),
});
export type WebhookMode = z.infer<typeof webhookModeSchema>;

export const faultSchema = z.object({
  id: z.string(),
  /** `error`: a Graph error (or OAuth error on the token endpoint); `status`: a bare 5xx; `delay`: a slow answer. */
  type: z.enum(['error', 'status', 'delay']),
  code: z.number().optional(),
  subcode: z.number().optional(),
  message: z.string().optional(),
  httpStatus: z.number().optional(),
  transient: z.boolean().optional(),
  delayMs: z.number().optional(),
  match: z
    .object({
      method: z.string().optional(),
      pathIncludes: z.string().optional(),
      accountId: z.string().optional(),
    })
    .default({}),
  /** How many matching requests it hits; null = until cleared. */
  remaining: z.number().int().positive().nullable(),
});
export type SimFault = z.infer<typeof faultSchema>;

export const stateDataSchema = z.object({
  apps: z.array(appSchema).default([]),
  igUsers: z.array(igUserSchema).default([]),
  /** The Instagram user logged in on the authorize page (the first one if null). */
  sessionUserId: z.string().nullable().default(null),
  accounts: z.array(accountSchema).default([]),
  customers: z.array(customerSchema).default([]),
  codes: z.array(authCodeSchema).default([]),
  tokens: z.array(tokenSchema).default([]),
  subscriptions: z.array(subscriptionSchema).default([]),
  conversations: z.array(conversationSchema).default([]),
  messages: z.array(messageSchema).default([]),
  outbox: z.array(outboxEntrySchema).default([]),
  comments: z.array(commentSchema).default([]),
  heldEvents: z.array(heldEventSchema).default([]),
  deliveries: z.array(deliverySchema).default([]),
  attempts: z.array(attemptSchema).default([]),
  webhookMode: webhookModeSchema.prefault({}),
  faults: z.array(faultSchema).default([]),
  variants: variantsSchema.prefault({}),
  /** The Facebook Login / Page side (§7). */
  facebook: facebookStateSchema.prefault({}),
});
export type StateData = z.infer<typeof stateDataSchema>;
