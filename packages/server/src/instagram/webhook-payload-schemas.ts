import { z } from 'zod';
import type { MessageAttachment, ReplyTo, Referral } from './webhook-payload-types.ts';

// Zod shapes of Meta's webhook items. Objects are loose so fields Meta adds later never invalidate a real event;
// optional sub-fields `.catch(undefined)` so one odd optional field does not turn a message into an unknown item.

const UNSAFE_ID =
  'integer id above 2^53 was already corrupted by JSON.parse: parse the raw body with parseJsonPreservingBigInts';

/** Meta ids are numeric strings, occasionally sent as JSON numbers: always a string out. */
export const idSchema = z
  .union([
    z.string().min(1).max(256),
    z
      .number()
      .nonnegative()
      .refine((value) => Number.isInteger(value), 'id is not an integer')
      .refine((value) => Number.isSafeInteger(value), UNSAFE_ID),
  ])
  .transform(String);

/**
 * Below this a time is in seconds: 10^11 ms is March 1973, 10^11 s is the year 5138. Meta's examples use ms; the
 * dashboard's test samples and some captures use seconds (§3.7).
 */
export const SECONDS_BELOW = 100_000_000_000;

/** A whole epoch time as a number or a numeric string, as sent (no unit assumed). */
export const epochNumberSchema = z.union([
  z.number().int().nonnegative().refine((value) => Number.isSafeInteger(value), 'timestamp is not a safe integer'),
  z
    .string()
    .regex(/^\d{1,15}$/, 'timestamp string is not an integer')
    .transform(Number),
]);

/** A webhook time, in ms or in seconds; always epoch ms out. */
export const timestampSchema = epochNumberSchema
  .transform((value) => (value < SECONDS_BELOW ? value * 1000 : value));

const optionalString = z.string().optional().catch(undefined);
const optionalId = idSchema.optional().catch(undefined);
/** Flags arrive as booleans, and as the strings "true" / "false" in older examples (`is_deleted: "true"`, §3.7). */
const optionalFlag = z
  .union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')])
  .optional()
  .catch(undefined);

export const entrySchema = z.looseObject({
  id: idSchema,
  time: timestampSchema.optional().catch(undefined),
});

export const senderSchema = z.looseObject({ id: idSchema });

export const referralSchema = z
  .looseObject({
    ref: optionalString,
    source: optionalString,
    type: optionalString,
    ad_id: optionalId,
    ads_context_data: z
      .looseObject({ ad_title: optionalString, photo_url: optionalString, video_url: optionalString })
      .optional()
      .catch(undefined),
  })
  .transform((value): Referral => {
    const referral: Referral = {};
    if (value.ref !== undefined) referral.ref = value.ref;
    if (value.source !== undefined) referral.source = value.source;
    if (value.type !== undefined) referral.type = value.type;
    if (value.ad_id !== undefined) referral.adId = value.ad_id;
    const ads = value.ads_context_data;
    if (ads !== undefined) {
      referral.adsContextData = {};
      if (ads.ad_title !== undefined) referral.adsContextData.adTitle = ads.ad_title;
      if (ads.photo_url !== undefined) referral.adsContextData.photoUrl = ads.photo_url;
      if (ads.video_url !== undefined) referral.adsContextData.videoUrl = ads.video_url;
    }
    return referral;
  });

const replyToSchema = z.union([
  z.looseObject({ mid: idSchema }).transform((value): ReplyTo => ({ mid: value.mid })),
  z.looseObject({ story: z.looseObject({ url: optionalString, id: optionalId }) }).transform((value): ReplyTo => {
    const story: { url?: string; id?: string } = {};
    if (value.story.url !== undefined) story.url = value.story.url;
    if (value.story.id !== undefined) story.id = value.story.id;
    return { story };
  }),
]);

export const messageSchema = z.looseObject({
  mid: idSchema,
  text: optionalString,
  // A list in the reference; some documented samples show a single object. `attachment` is the Send API spelling.
  attachments: z.unknown().optional(),
  attachment: z.unknown().optional(),
  reply_to: replyToSchema.optional().catch(undefined),
  quick_reply: z.looseObject({ payload: z.string() }).optional().catch(undefined),
  referral: referralSchema.optional().catch(undefined),
  is_echo: optionalFlag,
  is_deleted: optionalFlag,
  is_self: optionalFlag,
  is_unsupported: optionalFlag,
});

export const messageEditSchema = z.looseObject({
  mid: idSchema,
  // absent in live Instagram-Login bodies (`{mid, num_edit: 0}`): the text is then read from Meta
  text: optionalString,
  num_edit: z
    .union([z.number().int().nonnegative(), z.string().regex(/^\d{1,9}$/).transform(Number)])
    .optional()
    .catch(undefined),
});

export const reactionSchema = z
  .looseObject({
    mid: idSchema,
    action: z
      .string()
      .transform((value) => value.toLowerCase())
      .pipe(z.enum(['react', 'unreact']))
      .optional(),
    reaction: optionalString,
    emoji: optionalString,
  })
  // A reaction without `action` is a react when it names a reaction or an emoji; with neither, it says nothing.
  .transform((value, ctx) => {
    const action = value.action ?? (value.reaction !== undefined || value.emoji !== undefined ? 'react' : undefined);
    if (action === undefined) {
      ctx.addIssue({ code: 'custom', path: ['action'], message: 'no action, reaction or emoji' });
      return z.NEVER;
    }
    return { ...value, action };
  });

export const readSchema = z.looseObject({ mid: idSchema });

export const postbackSchema = z.looseObject({
  mid: optionalId,
  title: optionalString,
  payload: z.string(),
  referral: referralSchema.optional().catch(undefined),
});

const attachmentSchema = z.looseObject({ type: z.string().min(1), payload: z.unknown().optional() });
const urlHolderSchema = z.looseObject({ url: z.string().min(1) });
const storyMediaSchema = z.looseObject({ story_media_url: z.string().min(1) });
const postMediaIdSchema = z.looseObject({ ig_post_media_id: idSchema });

/** The type of an attachment that Instagram cannot show through the API (§3.7); the message is `isUnsupported`. */
export const UNSUPPORTED_ATTACHMENT = 'unsupported_type';

/** The media worth mirroring: `payload.url`, a story's `story_media_url`, or a top-level `url`; none for unsupported. */
function mediaUrlOf(type: string, payload: unknown, attachment: unknown): string | undefined {
  if (type === UNSUPPORTED_ATTACHMENT) return undefined;
  return (
    urlHolderSchema.safeParse(payload).data?.url ??
    storyMediaSchema.safeParse(payload).data?.story_media_url ??
    urlHolderSchema.safeParse(attachment).data?.url
  );
}

/**
 * A list, a single object, or nothing: always a list out, every item kept, except that a post shared as both a
 * `share` and an `ig_post` attachment of one message (§3.7) is one `ig_post` (with the share's URL if it had none).
 * They are taken for one post when the `ig_post` carries its `ig_post_media_id` or both have the same URL.
 */
export function normaliseAttachments(value: unknown): MessageAttachment[] {
  if (value === undefined || value === null) return [];
  const items: readonly unknown[] = Array.isArray(value) ? value : [value];
  const list = items.map((item): MessageAttachment => {
    const parsed = attachmentSchema.safeParse(item);
    if (!parsed.success) return { type: 'unknown', payload: item };
    const payload = parsed.data.payload ?? null;
    const url = mediaUrlOf(parsed.data.type, payload, parsed.data);
    return url === undefined ? { type: parsed.data.type, payload } : { type: parsed.data.type, url, payload };
  });
  const post = list.find((a) => a.type === 'ig_post');
  const share = list.find((a) => a.type === 'share');
  if (!post || !share) return list;
  // the same post twice: the rich `ig_post` of §3.7 (with its media id), or both with one URL
  const samePost = postMediaIdSchema.safeParse(post.payload).success || (post.url !== undefined && post.url === share.url);
  if (!samePost) return list;
  if (post.url === undefined && share.url !== undefined) post.url = share.url;
  return list.filter((a) => a !== share);
}

/** The first issue of a failed parse, as `path: message`, for an unknown item's `detail`. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid';
  const path = issue.path.map(String).join('.');
  return path === '' ? issue.message : `${path}: ${issue.message}`;
}
