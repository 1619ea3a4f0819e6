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

/** Epoch ms as a number or a numeric string; never rescaled (seconds vs ms is not guessed). */
export const timestampSchema = z.union([
  z.number().int().nonnegative().refine((value) => Number.isSafeInteger(value), 'timestamp is not a safe integer'),
  z
    .string()
    .regex(/^\d{1,15}$/, 'timestamp string is not an integer')
    .transform(Number),
]);

const optionalString = z.string().optional().catch(undefined);
const optionalId = idSchema.optional().catch(undefined);
const optionalFlag = z.boolean().optional().catch(undefined);

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
  text: z.string(),
  num_edit: z
    .union([z.number().int().nonnegative(), z.string().regex(/^\d{1,9}$/).transform(Number)])
    .optional()
    .catch(undefined),
});

export const reactionSchema = z.looseObject({
  mid: idSchema,
  action: z
    .string()
    .transform((value) => value.toLowerCase())
    .pipe(z.enum(['react', 'unreact'])),
  reaction: optionalString,
  emoji: optionalString,
});

export const readSchema = z.looseObject({ mid: idSchema });

export const postbackSchema = z.looseObject({
  mid: optionalId,
  title: optionalString,
  payload: z.string(),
  referral: referralSchema.optional().catch(undefined),
});

const attachmentSchema = z.looseObject({ type: z.string().min(1), payload: z.unknown().optional() });
const urlHolderSchema = z.looseObject({ url: z.string() });

/** A list, a single object, or nothing: always a list out, every item kept. */
export function normaliseAttachments(value: unknown): MessageAttachment[] {
  if (value === undefined || value === null) return [];
  const items: readonly unknown[] = Array.isArray(value) ? value : [value];
  return items.map((item): MessageAttachment => {
    const parsed = attachmentSchema.safeParse(item);
    if (!parsed.success) return { type: 'unknown', payload: item };
    const payload = parsed.data.payload ?? null;
    const url = urlHolderSchema.safeParse(payload).data?.url ?? urlHolderSchema.safeParse(parsed.data).data?.url;
    return url === undefined ? { type: parsed.data.type, payload } : { type: parsed.data.type, url, payload };
  });
}

/** The first issue of a failed parse, as `path: message`, for an unknown item's `detail`. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid';
  const path = issue.path.map(String).join('.');
  return path === '' ? issue.message : `${path}: ${issue.message}`;
}
