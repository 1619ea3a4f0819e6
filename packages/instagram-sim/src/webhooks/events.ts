import type { SimMessage } from '../state/schema.ts';
import type { Variants } from '../variants.ts';

/** Builders of `entry[].messaging[]` items (§3.6). Inbound: sender = customer; echoes: sender = the account. */

type Json = Record<string, unknown>;

/** A shared post (§3.7): a `share`, a rich `ig_post` (media id, title, url), or both in one message. */
function sharedPost(a: SimMessage['attachments'][number], variants: Variants): Json[] {
  const url = a.payload?.['url'];
  const post = { type: 'ig_post', payload: { ig_post_media_id: String(a.payload?.['mediaId'] ?? '17900000000000001'), title: String(a.payload?.['title'] ?? ''), url } };
  if (variants.shareFormat === 'ig_post') return [post];
  if (variants.shareFormat === 'both') return [{ type: 'share', payload: { url } }, post];
  return [{ type: 'share', payload: a.payload }];
}

function attachmentsField(message: SimMessage, variants: Variants): Json {
  const items = message.attachments.flatMap((a) => {
    if (a.type === 'share') return sharedPost(a, variants);
    return [a.payload ? { type: a.type, payload: a.payload } : { type: a.type }];
  });
  // unsupported content as an attachment without the flag (§3.7)
  if (message.isUnsupported && variants.unsupportedFormat === 'attachment') {
    items.push({ type: 'unsupported_type', payload: { url: `https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=${message.mid.slice(-8)}` } });
  }
  if (items.length === 0) return {};
  return { attachments: variants.attachmentsFormat === 'object' && items.length === 1 ? items[0] : items };
}

function parties(message: SimMessage, timestamp: number): Json {
  return { sender: { id: message.senderId }, recipient: { id: message.recipientId }, timestamp };
}

export interface InboundExtras {
  quickReply?: { payload: string } | undefined;
  replyTo?: { mid: string } | { story: { url: string; id: string } } | undefined;
  referral?: Json | undefined;
  isSelf?: boolean | undefined;
}

export function messageEvent(message: SimMessage, variants: Variants, extras: InboundExtras = {}): Json {
  const body: Json = { mid: message.mid };
  if (message.text !== null) body['text'] = message.text;
  Object.assign(body, attachmentsField(message, variants));
  if (message.direction === 'outbound') body['is_echo'] = true;
  if (message.isUnsupported && variants.unsupportedFormat === 'flag') body['is_unsupported'] = true;
  if (extras.isSelf) body['is_self'] = true;
  if (extras.quickReply) body['quick_reply'] = extras.quickReply;
  if (extras.replyTo) body['reply_to'] = extras.replyTo;
  if (extras.referral) body['referral'] = extras.referral;
  return { ...parties(message, message.createdAt), message: body };
}

export function unsendEvent(message: SimMessage, now: number, variants: Variants): Json {
  return { ...parties(message, now), message: { mid: message.mid, is_deleted: variants.isDeletedFormat === 'string' ? 'true' : true } };
}

/** `num_edit` is the edit's number: 1-based in examples, 0-based in a live body, a string in some captures (§3.7). */
export function editEvent(message: SimMessage, now: number, variants: Variants): Json {
  const n = variants.numEditFormat === 'zero-based' ? message.editCount - 1 : message.editCount;
  const body: Json = { mid: message.mid, num_edit: variants.numEditFormat === 'string' ? String(n) : n };
  if (variants.editText === 'included') body['text'] = message.text ?? '';
  return { ...parties(message, now), message_edit: body };
}

export function reactionEvent(
  from: { sender: string; recipient: string },
  now: number,
  reaction: { mid: string; action: 'react' | 'unreact'; reaction?: string | undefined; emoji?: string | undefined },
  variants: Variants,
): Json {
  const body: Json = { mid: reaction.mid, action: reaction.action };
  if (reaction.action === 'react') {
    // with `emoji` alone in some captures (§3.7)
    if (variants.reactionFormat === 'named' || reaction.reaction !== undefined) body['reaction'] = reaction.reaction ?? 'love';
    body['emoji'] = reaction.emoji ?? '\u{2764}\u{FE0F}';
  }
  return { sender: { id: from.sender }, recipient: { id: from.recipient }, timestamp: now, reaction: body };
}

/** A seen receipt; without `sender` in some captures, matched by its mid alone (§3.7). */
export function seenEvent(from: { sender: string; recipient: string }, now: number, mid: string, variants: Variants): Json {
  const sender = variants.seenSender === 'included' ? { sender: { id: from.sender } } : {};
  return { ...sender, recipient: { id: from.recipient }, timestamp: now, read: { mid } };
}

export function postbackEvent(
  from: { sender: string; recipient: string },
  now: number,
  postback: { mid: string; title: string; payload: string },
): Json {
  return { sender: { id: from.sender }, recipient: { id: from.recipient }, timestamp: now, postback };
}

export function referralEvent(from: { sender: string; recipient: string }, now: number, referral: Json): Json {
  return { sender: { id: from.sender }, recipient: { id: from.recipient }, timestamp: now, referral };
}

export function commentChange(comment: { id: string; text: string; mediaId: string }, from: { id: string; username: string }): Json {
  return {
    field: 'comments',
    value: { id: comment.id, from, text: comment.text, media: { id: comment.mediaId, media_product_type: 'FEED' } },
  };
}
