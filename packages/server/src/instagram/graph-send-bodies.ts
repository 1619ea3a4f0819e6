import { INSTAGRAM_MESSAGE_LIMITS, INSTAGRAM_TEXT_MAX_BYTES } from '@threadline/contract';

/**
 * Send API bodies (platform reference §4), typed as Meta spells them, and builders that check Meta's limits before
 * a call spends rate budget. A builder throws RangeError for a body Meta would reject as malformed.
 */

/** An IGSID, or a comment for a private reply (within 7 days of the comment). */
export type SendRecipient = { id: string } | { comment_id: string };

/** Reply to a specific message (not in the IG Login guides; the simulator and third-party code accept it). */
export interface ReplyTo {
  mid: string;
}

/** HUMAN_AGENT: a human reply up to 7 days after the customer's message (needs the Human Agent feature). */
export interface HumanAgentTag {
  messaging_type: 'MESSAGE_TAG';
  tag: 'HUMAN_AGENT';
}

export type MediaPayload = { url: string } | { attachment_id: string };

export type QuickReply =
  | { content_type: 'text'; title: string; payload: string }
  | { content_type: 'user_phone_number' }
  | { content_type: 'user_email' };

export type MessageContent =
  | { text: string; quick_replies?: QuickReply[] }
  | { attachments: { type: 'image'; payload: MediaPayload }[] }
  | { attachment: { type: 'image' | 'audio' | 'video' | 'file'; payload: MediaPayload } }
  | { attachment: { type: 'like_heart' } }
  | { attachment: { type: 'MEDIA_SHARE'; payload: { id: string } } };

export type MessageBody = {
  recipient: SendRecipient;
  message: MessageContent;
  reply_to?: ReplyTo;
} & (HumanAgentTag | { messaging_type?: 'RESPONSE'; tag?: never });

export interface ReactBody {
  recipient: SendRecipient;
  sender_action: 'react';
  payload: { message_id: string; reaction: string };
}
export interface UnreactBody {
  recipient: SendRecipient;
  sender_action: 'unreact';
  payload: { message_id: string };
}
export interface SenderActionBody {
  recipient: SendRecipient;
  sender_action: 'typing_on' | 'typing_off' | 'mark_seen';
}

/** Every kind of Send API call. */
export type SendBody = MessageBody | ReactBody | UnreactBody | SenderActionBody;

export interface MessageOptions {
  /** Send with the HUMAN_AGENT tag (both `messaging_type` and `tag`, as the sources disagree on which is needed). */
  humanAgent?: boolean;
  /** The mid of the message this one replies to. */
  replyTo?: string;
}

const recipientOf = (to: string | SendRecipient): SendRecipient => (typeof to === 'string' ? { id: to } : to);

function message(to: string | SendRecipient, content: MessageContent, options: MessageOptions): MessageBody {
  const base = {
    recipient: recipientOf(to),
    message: content,
    ...(options.replyTo === undefined ? {} : { reply_to: { mid: options.replyTo } }),
  };
  return options.humanAgent ? { ...base, messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' } : base;
}

function checkText(text: string): void {
  if (text.trim() === '') throw new RangeError('A message text must not be empty');
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > INSTAGRAM_TEXT_MAX_BYTES)
    throw new RangeError(`A message text is at most ${INSTAGRAM_TEXT_MAX_BYTES} UTF-8 bytes, this one is ${bytes}`);
}

const media = (source: string | MediaPayload): MediaPayload => (typeof source === 'string' ? { url: source } : source);

export function textMessage(to: string | SendRecipient, text: string, options: MessageOptions = {}): MessageBody {
  checkText(text);
  return message(to, { text }, options);
}

/** Text with up to 13 quick-reply buttons (titles ≤ 20 characters); not shown on desktop. */
export function quickRepliesMessage(
  to: string | SendRecipient,
  text: string,
  replies: QuickReply[],
  options: MessageOptions = {},
): MessageBody {
  checkText(text);
  const { maxQuickReplies, quickReplyTitleMaxChars } = INSTAGRAM_MESSAGE_LIMITS;
  if (replies.length === 0 || replies.length > maxQuickReplies)
    throw new RangeError(`Between 1 and ${maxQuickReplies} quick replies, not ${replies.length}`);
  for (const reply of replies) {
    if (reply.content_type === 'text' && [...reply.title].length > quickReplyTitleMaxChars)
      throw new RangeError(`A quick reply title is at most ${quickReplyTitleMaxChars} characters`);
  }
  return message(to, { text, quick_replies: replies }, options);
}

/** Up to 10 images in one message, by URL (fetched by Meta) or by uploaded attachment id. */
export function imagesMessage(
  to: string | SendRecipient,
  images: (string | MediaPayload)[],
  options: MessageOptions = {},
): MessageBody {
  const max = INSTAGRAM_MESSAGE_LIMITS.maxImageAttachments;
  if (images.length === 0 || images.length > max) throw new RangeError(`Between 1 and ${max} images, not ${images.length}`);
  return message(to, { attachments: images.map((image) => ({ type: 'image' as const, payload: media(image) })) }, options);
}

/** One image, audio, video or file (pdf) attachment; audio and video count against the lower media rate limit. */
export function attachmentMessage(
  to: string | SendRecipient,
  type: 'image' | 'audio' | 'video' | 'file',
  source: string | MediaPayload,
  options: MessageOptions = {},
): MessageBody {
  return message(to, { attachment: { type, payload: media(source) } }, options);
}

/** The heart sticker. */
export function likeHeartMessage(to: string | SendRecipient, options: MessageOptions = {}): MessageBody {
  return message(to, { attachment: { type: 'like_heart' } }, options);
}

/** Shares one of the account's own posts. */
export function mediaShareMessage(to: string | SendRecipient, postId: string, options: MessageOptions = {}): MessageBody {
  return message(to, { attachment: { type: 'MEDIA_SHARE', payload: { id: postId } } }, options);
}

/** Reacts to a message: `love` or an emoji. */
export function reactBody(to: string | SendRecipient, messageId: string, reaction = 'love'): ReactBody {
  return { recipient: recipientOf(to), sender_action: 'react', payload: { message_id: messageId, reaction } };
}

export function unreactBody(to: string | SendRecipient, messageId: string): UnreactBody {
  return { recipient: recipientOf(to), sender_action: 'unreact', payload: { message_id: messageId } };
}

/** typing_on / typing_off / mark_seen, sent alone without a message. */
export function senderActionBody(to: string | SendRecipient, action: SenderActionBody['sender_action']): SenderActionBody {
  return { recipient: recipientOf(to), sender_action: action };
}

/** Sender actions and reactions set a state, so repeating one is harmless; a message is not. */
export function isIdempotentSend(body: SendBody): boolean {
  return 'sender_action' in body;
}
