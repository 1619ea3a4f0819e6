import { z } from 'zod';

/**
 * Facts of the Instagram platform (Instagram API with Instagram Login) that Threadline's server and the
 * platform simulator must agree on. Source: shared/instagram-platform.md; section numbers refer to it.
 */

/** Graph API version used in Meta's current Instagram examples (§0). */
export const INSTAGRAM_DEFAULT_GRAPH_VERSION = 'v25.0';
export const INSTAGRAM_GRAPH_VERSION_PATTERN = /^v\d+\.\d+$/;

export const INSTAGRAM_DEFAULT_URLS = {
  authorize: 'https://www.instagram.com/oauth/authorize',
  api: 'https://api.instagram.com',
  graph: 'https://graph.instagram.com',
} as const;

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/** Send API text limit: UTF-8 bytes, not characters (§4). */
export const INSTAGRAM_TEXT_MAX_BYTES = 1000;
/** Free-form replies are allowed this long after the customer's last message (§4). */
export const INSTAGRAM_STANDARD_WINDOW_MS = DAY_MS;
/** A HUMAN_AGENT tagged reply is allowed this long after the customer's last message (§4). */
export const INSTAGRAM_HUMAN_AGENT_WINDOW_MS = 7 * DAY_MS;
/** A private reply to a comment is allowed this long after the comment (§4). */
export const INSTAGRAM_PRIVATE_REPLY_WINDOW_MS = 7 * DAY_MS;

export const INSTAGRAM_MESSAGE_LIMITS = {
  maxImageAttachments: 10,
  maxQuickReplies: 13,
  quickReplyTitleMaxChars: 20,
  genericTemplateMaxElements: 10,
  templateTitleMaxChars: 80,
  templateSubtitleMaxChars: 80,
  templateMaxButtons: 3,
} as const;

/** OAuth and token lifetimes (§1). */
export const INSTAGRAM_OAUTH_CODE_TTL_SECONDS = 60 * 60;
export const INSTAGRAM_SHORT_LIVED_TOKEN_SECONDS = 60 * 60;
/** `expires_in` of a long-lived token as Meta returns it: about 60 days. */
export const INSTAGRAM_LONG_LIVED_TOKEN_SECONDS = 5_183_944;
/** A long-lived token can be refreshed only once it is at least this old (§1.4). */
export const INSTAGRAM_REFRESH_MIN_AGE_SECONDS = 24 * 60 * 60;

export const INSTAGRAM_SCOPES = [
  'instagram_business_basic',
  'instagram_business_manage_messages',
  'instagram_business_manage_comments',
  'instagram_business_content_publish',
  'instagram_business_manage_insights',
] as const;
export const instagramScopeSchema = z.enum(INSTAGRAM_SCOPES);
export type InstagramScope = z.infer<typeof instagramScopeSchema>;
/** Scope names deprecated on 2025-01-27: the authorize dialog rejects them. */
export const INSTAGRAM_DEPRECATED_SCOPES = [
  'business_basic',
  'business_manage_messages',
  'business_manage_comments',
  'business_content_publish',
  'business_manage_insights',
] as const;

/** Per IG professional account messaging limits (§6). */
export const INSTAGRAM_RATE_LIMITS = {
  /** Send API calls for text, links, reactions and stickers. */
  textPerSecond: 100,
  /** Send API calls carrying audio or video. */
  mediaPerSecond: 10,
  conversationsPerSecond: 2,
  privateRepliesLivePerSecond: 100,
  privateRepliesPerHour: 750,
} as const;

/** Webhook field names for Instagram Login, WH/PM spelling (§3.4). */
export const INSTAGRAM_WEBHOOK_FIELDS = [
  'comments',
  'live_comments',
  'mentions',
  'message_echoes',
  'message_reactions',
  'messages',
  'messaging_handover',
  'messaging_optins',
  'messaging_postbacks',
  'messaging_referral',
  'messaging_seen',
  'standby',
] as const;
export const instagramWebhookFieldSchema = z.enum(INSTAGRAM_WEBHOOK_FIELDS);
export type InstagramWebhookField = z.infer<typeof instagramWebhookFieldSchema>;
/** MSG spells two fields differently; both spellings mean the WH field. */
export const INSTAGRAM_WEBHOOK_FIELD_ALIASES: Readonly<Record<string, InstagramWebhookField>> = {
  messaging_reactions: 'message_reactions',
  messaging_referrals: 'messaging_referral',
};
/** Fields that exist for the Messenger Platform but not for Instagram Login. */
export const INSTAGRAM_UNAVAILABLE_WEBHOOK_FIELDS = [
  'messaging_policy_enforcement',
  'response_feedback',
  'story_insights',
] as const;

/** Webhook delivery facts (§3.3). */
export const INSTAGRAM_WEBHOOK_MAX_BATCH = 1000;
export const INSTAGRAM_WEBHOOK_RETRY_WINDOW_MS = 36 * HOUR_MS;
export const INSTAGRAM_WEBHOOK_SIGNATURE_HEADER = 'x-hub-signature-256';

/** Attachment types an inbound webhook message can carry (§3.6). */
export const INSTAGRAM_INBOUND_ATTACHMENT_TYPES = [
  'image',
  'video',
  'audio',
  'file',
  'share',
  'ig_post',
  'ig_reel',
  'reel',
  'story',
  'ig_story',
  'story_mention',
  'media',
] as const;
export const instagramInboundAttachmentTypeSchema = z.enum(INSTAGRAM_INBOUND_ATTACHMENT_TYPES);
export type InstagramInboundAttachmentType = z.infer<typeof instagramInboundAttachmentTypeSchema>;

/** Subcodes of error 190 (invalid or expired token) (§6). */
export const INSTAGRAM_TOKEN_ERROR_SUBCODES = {
  appNotInstalled: 458,
  checkpointed: 459,
  passwordChanged: 460,
  expired: 463,
  unconfirmedUser: 464,
  invalidToken: 467,
  invalidSession: 492,
} as const;

export interface GraphErrorDefinition {
  readonly code: number;
  readonly subcode?: number;
  readonly type: string;
  readonly message: string;
  readonly httpStatus: number;
  readonly transient: boolean;
}

function def(code: number, subcode: number | undefined, message: string, extra: Partial<GraphErrorDefinition> = {}) {
  const base = { code, type: 'OAuthException', message, httpStatus: 400, transient: false, ...extra };
  return subcode === undefined ? base : { ...base, subcode };
}

/**
 * The Graph error table (§6). Codes and subcodes are Meta's; messages are the simulator's wording of them.
 * Clients must branch on code/subcode, never on the message.
 */
export const INSTAGRAM_GRAPH_ERRORS = {
  invalidToken: def(190, undefined, 'Invalid OAuth access token - Cannot parse access token'),
  tokenAppNotInstalled: def(190, 458, 'Error validating access token: The user has not authorized application.'),
  tokenCheckpointed: def(190, 459, 'Error validating access token: The user is checkpointed.'),
  tokenPasswordChanged: def(190, 460, 'Error validating access token: The session has been invalidated because the user changed their password.'),
  tokenExpired: def(190, 463, 'Error validating access token: Session has expired.'),
  tokenUnconfirmedUser: def(190, 464, 'Error validating access token: The user is not a confirmed user.'),
  tokenInvalid: def(190, 467, 'Error validating access token: The access token is invalid.'),
  tokenInvalidSession: def(190, 492, 'Error validating access token: The session is invalid.'),
  missingToken: def(2500, undefined, 'An active access token must be used to query information about the current user.'),
  /** Long-lived exchange with a wrong `client_secret`; the code is the simulator's choice [I]. */
  invalidClientSecret: def(101, undefined, 'Error validating client secret.'),
  /** Refresh of a token issued less than 24 h ago (§1.4); the code is the simulator's choice [I]. */
  tokenTooNewToRefresh: def(100, undefined, '(#100) The access token can be refreshed only 24 hours after it was issued.'),
  sessionKeyInvalid: def(102, undefined, 'Session key invalid or no longer valid'),
  unknown: def(1, undefined, 'An unknown error occurred', { httpStatus: 500, transient: true }),
  serviceUnavailable: def(2, undefined, 'An unexpected error has occurred. Please retry your request later.', { httpStatus: 503, transient: true }),
  appRateLimit: def(4, undefined, '(#4) Application request limit reached', { transient: true }),
  userRateLimit: def(17, undefined, '(#17) User request limit reached', { transient: true }),
  pageRateLimit: def(32, undefined, '(#32) Page request limit reached', { transient: true }),
  messagingRateLimit: def(613, 2534040, 'Calls to this api have exceeded the rate limit.', { transient: true }),
  bucRateLimit: def(80002, undefined, 'There have been too many calls to this Instagram account. Wait a bit and try again.', { transient: true }),
  tooManyTaggedMessages: def(613, 2018338, 'Too many messages with a message tag were sent.', { transient: true }),
  abusiveRate: def(368, undefined, 'The action attempted has been deemed abusive or is otherwise disallowed'),
  noCapability: def(3, undefined, '(#3) Application does not have the capability to make this API call.'),
  permissionDenied: def(10, undefined, '(#10) Application does not have permission for this action'),
  missingPermission: def(200, undefined, '(#200) Requires instagram_business_manage_messages permission to manage the object'),
  ownerDisabledMessages: def(200, 2534041, '(#200) The owner of this account has disabled access to messages for connected tools.'),
  profileConsentRequired: def(230, undefined, '(#230) User consent is required to access user profile'),
  outsideWindow: def(10, 2534022, '(#10) This message is sent outside of allowed window.'),
  outsideWindowLegacy: def(10, 2018278, '(#10) This message is sent outside of allowed window.'),
  recipientUnavailable: def(551, 1545041, 'This person isn\'t available right now.'),
  noMatchingUser: def(100, 2018001, '(#100) No matching user found'),
  noMatchingInstagramUser: def(100, 2534014, 'No matching Instagram user'),
  objectNotFound: def(100, 33, 'Unsupported request. Object does not exist, cannot be loaded due to missing permissions, or does not support this operation.', { type: 'GraphMethodException' }),
  invalidParameter: def(100, undefined, '(#100) Invalid parameter'),
  invalidMessageData: def(100, 2534015, 'Invalid message data'),
  mediaFetchFailed: def(100, 2018008, 'Failed to fetch the file from the url'),
  mediaUploadFailed: def(100, 2018047, 'Upload attachment failure.'),
  mediaTooLarge: def(100, 2018109, 'Attachment size exceeds allowable limit'),
  threadOwnedByAnotherApp: def(100, 2534037, 'The thread is owned by another app.'),
  accountMessagingBlocked: def(100, 2534029, 'This account is blocked from Instagram messaging.'),
  accountTemporarilyRestricted: def(10, 1893063, '(#10) This account is temporarily restricted from messaging.'),
  /** Reading a message older than the 20 most recent of its conversation (§5). The code is the simulator's choice [I]. */
  messageDeleted: def(100, undefined, '(#100) This message has been deleted or is no longer available.'),
} as const satisfies Record<string, GraphErrorDefinition>;
export type InstagramGraphErrorName = keyof typeof INSTAGRAM_GRAPH_ERRORS;

/** Graph error envelope (§6). */
export const graphErrorBodySchema = z.object({
  error: z.object({
    message: z.string(),
    type: z.string(),
    code: z.number(),
    error_subcode: z.number().optional(),
    error_user_title: z.string().optional(),
    error_user_msg: z.string().optional(),
    fbtrace_id: z.string().optional(),
    is_transient: z.boolean().optional(),
  }),
});
export type GraphErrorBody = z.infer<typeof graphErrorBodySchema>;

/** Error shape of `POST api.instagram.com/oauth/access_token` (§1.2). */
export const instagramOAuthErrorBodySchema = z.object({
  error_type: z.string(),
  code: z.number(),
  error_message: z.string(),
});
export type InstagramOAuthErrorBody = z.infer<typeof instagramOAuthErrorBodySchema>;

/** Only the 20 most recent messages of a conversation can be read in detail (§5). */
export const INSTAGRAM_READABLE_RECENT_MESSAGES = 20;
