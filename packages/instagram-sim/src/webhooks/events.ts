import type { SimMessage } from '../state/schema.ts';
import type { Variants } from '../variants.ts';

/** Builders of `entry[].messaging[]` items (§3.6). Inbound: sender = customer; echoes: sender = the account. */

type Json = Record<string, unknown>;

function attachmentsField(message: SimMessage, variants: Variants): Json {
  if (message.attachments.length === 0) return {};
  const items = message.attachments.map((a) => (a.payload ? { type: a.type, payload: a.payload } : { type: a.type }));
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
  if (message.isUnsupported) body['is_unsupported'] = true;
  if (extras.isSelf) body['is_self'] = true;
  if (extras.quickReply) body['quick_reply'] = extras.quickReply;
  if (extras.replyTo) body['reply_to'] = extras.replyTo;
  if (extras.referral) body['referral'] = extras.referral;
  return { ...parties(message, message.createdAt), message: body };
}

export function unsendEvent(message: SimMessage, now: number): Json {
  return { ...parties(message, now), message: { mid: message.mid, is_deleted: true } };
}

export function editEvent(message: SimMessage, now: number): Json {
  return { ...parties(message, now), message_edit: { mid: message.mid, text: message.text ?? '', num_edit: message.editCount } };
}

export function reactionEvent(
  from: { sender: string; recipient: string },
  now: number,
  reaction: { mid: string; action: 'react' | 'unreact'; reaction?: string | undefined; emoji?: string | undefined },
): Json {
  const body: Json = { mid: reaction.mid, action: reaction.action };
  if (reaction.action === 'react') {
    body['reaction'] = reaction.reaction ?? 'love';
    body['emoji'] = reaction.emoji ?? '\u{2764}\u{FE0F}';
  }
  return { sender: { id: from.sender }, recipient: { id: from.recipient }, timestamp: now, reaction: body };
}

export function seenEvent(from: { sender: string; recipient: string }, now: number, mid: string): Json {
  return { sender: { id: from.sender }, recipient: { id: from.recipient }, timestamp: now, read: { mid } };
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
