import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SendBody } from '../../../instagram/graph-client.ts';
import type { StoredAttachment } from './media.repository.ts';

/**
 * The public links Meta fetches an uploaded attachment from: `/media/public/{id}/{expires}/{signature}`, the HMAC
 * over the id *and* the expiry, so a link stops working at its time and cannot be stretched. A link is made when
 * the message goes out (send-job.ts refreshes it on every attempt), so a message queued for hours still sends.
 */
export function createUploadLinks(opts: { key: Buffer; origin: string; ttlSeconds: number; now: () => Date }) {
  const sign = (mediaId: string, expires: number) => createHmac('sha256', opts.key).update(`${mediaId}.${expires}`).digest('base64url');
  return {
    url(mediaId: string): string {
      const expires = Math.floor(opts.now().getTime() / 1000) + opts.ttlSeconds;
      return `${opts.origin}/media/public/${mediaId}/${expires}/${sign(mediaId, expires)}`;
    },
    /** Whether a link is genuine and not expired; its remaining life, for the cache header. */
    verify(mediaId: string, expires: number, signature: string): { ok: true; secondsLeft: number } | { ok: false } {
      const expected = Buffer.from(sign(mediaId, expires));
      const given = Buffer.from(signature);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false };
      const secondsLeft = expires - Math.floor(opts.now().getTime() / 1000);
      return secondsLeft > 0 ? { ok: true, secondsLeft } : { ok: false };
    },
  };
}
export type UploadLinks = ReturnType<typeof createUploadLinks>;

/** The Send API body with a fresh link for an uploaded attachment (other bodies as they are). */
export function withFreshUploadLink(request: SendBody, attachments: readonly StoredAttachment[], links: Pick<UploadLinks, 'url'>): SendBody {
  const mediaId = attachments.find((a) => a.mediaId)?.mediaId;
  if (!mediaId || !('message' in request) || !('attachment' in request.message)) return request;
  const attachment = request.message.attachment;
  if (attachment.type === 'like_heart' || attachment.type === 'MEDIA_SHARE' || !('url' in attachment.payload)) return request;
  return { ...request, message: { attachment: { type: attachment.type, payload: { url: links.url(mediaId) } } } };
}
