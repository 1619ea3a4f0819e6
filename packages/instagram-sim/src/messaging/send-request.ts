import { INSTAGRAM_MESSAGE_LIMITS, INSTAGRAM_TEXT_MAX_BYTES } from '@threadline/contract';
import { invalidParameter } from '../platform/errors.ts';
import type { Variants } from '../variants.ts';
import { isHttpUrl, isObject, jsonParam, nonEmpty } from './json.ts';
import type { JsonObject } from './json.ts';
import { parseTemplate } from './template.ts';

/** A Send API call, parsed and checked against the body shapes and limits of §4. */

export type Recipient = { id: string } | { commentId: string };
export type StoredAttachment = { type: string; payload?: Record<string, unknown> };

export interface MessageSend {
  kind: 'message';
  recipient: Recipient;
  text: string | null;
  attachments: StoredAttachment[];
  quickReplies: Record<string, unknown>[] | null;
  tag: 'HUMAN_AGENT' | null;
  replyTo: string | null;
  mediaShareId: string | null;
}
export interface SenderActionSend {
  kind: 'sender_action';
  recipient: Recipient;
  action: 'typing_on' | 'typing_off' | 'mark_seen' | 'react' | 'unreact';
  messageId: string | null;
  reaction: string | null;
}
export type SendRequest = MessageSend | SenderActionSend;

const SENDER_ACTIONS = ['typing_on', 'typing_off', 'mark_seen', 'react', 'unreact'] as const;
const MEDIA_TYPES = ['image', 'audio', 'video', 'file'];
const MESSAGING_TYPES = ['RESPONSE', 'UPDATE', 'MESSAGE_TAG'];

/** Which rate bucket a call counts against: audio and video have their own, lower limit (§6). */
export function rateBucketOf(params: JsonObject): 'text' | 'media' {
  const message = jsonParam(params['message']);
  if (!isObject(message) || !isObject(message['attachment'])) return 'text';
  const type = message['attachment']['type'];
  return type === 'audio' || type === 'video' ? 'media' : 'text';
}

function parseRecipient(raw: unknown): Recipient {
  const value = jsonParam(raw);
  if (value === undefined) throw invalidParameter('The parameter recipient is required');
  if (isObject(value) && nonEmpty(value['comment_id'])) return { commentId: value['comment_id'] };
  if (isObject(value) && nonEmpty(value['id'])) return { id: value['id'] };
  throw invalidParameter('param recipient must be an object with a non-empty id or comment_id');
}

function parseMediaPayload(payload: unknown, path: string): Record<string, unknown> {
  if (!isObject(payload)) throw invalidParameter(`The parameter ${path}[payload] is required`);
  if (nonEmpty(payload['attachment_id'])) return { attachment_id: payload['attachment_id'] };
  if (payload['url'] === undefined) throw invalidParameter(`The parameter ${path}[payload][url] is required`);
  if (!isHttpUrl(payload['url'])) throw invalidParameter(`Param ${path}[payload][url] must be a valid URL`);
  return { url: payload['url'] };
}

function parseAttachment(raw: unknown): { attachment: StoredAttachment; mediaShareId: string | null } {
  if (!isObject(raw) || !nonEmpty(raw['type'])) throw invalidParameter('Param message[attachment][type] is required');
  const type = raw['type'];
  if (MEDIA_TYPES.includes(type))
    return { attachment: { type, payload: parseMediaPayload(raw['payload'], 'message[attachment]') }, mediaShareId: null };
  if (type === 'like_heart') return { attachment: { type }, mediaShareId: null };
  if (type === 'MEDIA_SHARE' || type === 'media_share') {
    const payload = raw['payload'];
    if (!isObject(payload) || !nonEmpty(payload['id'])) throw invalidParameter('The parameter message[attachment][payload][id] is required');
    return { attachment: { type: 'MEDIA_SHARE', payload: { id: payload['id'] } }, mediaShareId: payload['id'] };
  }
  if (type === 'template') return { attachment: { type, payload: parseTemplate(raw['payload']) }, mediaShareId: null };
  throw invalidParameter(`Param message[attachment][type] must be one of {image, audio, video, file, like_heart, MEDIA_SHARE, template} - got "${type}"`);
}

function parseImages(raw: unknown): StoredAttachment[] {
  if (!Array.isArray(raw) || raw.length === 0) throw invalidParameter('Param message[attachments] must be a non-empty array');
  if (raw.length > INSTAGRAM_MESSAGE_LIMITS.maxImageAttachments)
    throw invalidParameter(`Param message[attachments] must have at most ${INSTAGRAM_MESSAGE_LIMITS.maxImageAttachments} items`);
  return raw.map((item, i) => {
    if (!isObject(item) || item['type'] !== 'image')
      throw invalidParameter(`Param message[attachments][${i}][type] must be image`);
    return { type: 'image', payload: parseMediaPayload(item['payload'], `message[attachments][${i}]`) };
  });
}

function parseQuickReplies(raw: unknown): Record<string, unknown>[] {
  if (!Array.isArray(raw) || raw.length === 0) throw invalidParameter('Param message[quick_replies] must be a non-empty array');
  if (raw.length > INSTAGRAM_MESSAGE_LIMITS.maxQuickReplies)
    throw invalidParameter(`Param message[quick_replies] must have at most ${INSTAGRAM_MESSAGE_LIMITS.maxQuickReplies} items`);
  return raw.map((item, i) => {
    const path = `message[quick_replies][${i}]`;
    if (!isObject(item)) throw invalidParameter(`Param ${path} must be an object`);
    const type = item['content_type'];
    if (type === 'user_phone_number' || type === 'user_email') return { content_type: type };
    if (type !== 'text') throw invalidParameter(`Param ${path}[content_type] must be one of {text, user_phone_number, user_email}`);
    const title = item['title'];
    if (!nonEmpty(title)) throw invalidParameter(`The parameter ${path}[title] is required`);
    if ([...title].length > INSTAGRAM_MESSAGE_LIMITS.quickReplyTitleMaxChars)
      throw invalidParameter(`Param ${path}[title] must be at most ${INSTAGRAM_MESSAGE_LIMITS.quickReplyTitleMaxChars} characters`);
    if (!nonEmpty(item['payload'])) throw invalidParameter(`The parameter ${path}[payload] is required`);
    return { content_type: 'text', title, payload: item['payload'] };
  });
}

function parseTag(params: JsonObject): 'HUMAN_AGENT' | null {
  const tag = params['tag'];
  const type = params['messaging_type'];
  if (type !== undefined && (typeof type !== 'string' || !MESSAGING_TYPES.includes(type)))
    throw invalidParameter('Param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}');
  if (tag === undefined) {
    if (type === 'MESSAGE_TAG') throw invalidParameter('The parameter tag is required for messaging_type MESSAGE_TAG');
    return null;
  }
  if (tag !== 'HUMAN_AGENT') throw invalidParameter(`Param tag must be one of {HUMAN_AGENT} - got "${String(tag)}"`);
  return 'HUMAN_AGENT';
}

function parseSenderAction(params: JsonObject, recipient: Recipient): SenderActionSend {
  const action = params['sender_action'];
  const known = SENDER_ACTIONS.find((a) => a === action);
  if (!known) throw invalidParameter(`Param sender_action must be one of {${SENDER_ACTIONS.join(', ')}}`);
  if (params['message'] !== undefined) throw invalidParameter('Only one of message or sender_action may be specified');
  if (known !== 'react' && known !== 'unreact') return { kind: 'sender_action', recipient, action: known, messageId: null, reaction: null };
  const payload = jsonParam(params['payload']);
  if (!isObject(payload) || !nonEmpty(payload['message_id'])) throw invalidParameter('The parameter payload[message_id] is required');
  const reaction = payload['reaction'];
  if (known === 'react' && !nonEmpty(reaction)) throw invalidParameter('The parameter payload[reaction] is required');
  return { kind: 'sender_action', recipient, action: known, messageId: payload['message_id'], reaction: known === 'react' && nonEmpty(reaction) ? reaction : null };
}

export function parseSendRequest(params: JsonObject, variants: Variants): SendRequest {
  const recipient = parseRecipient(params['recipient']);
  if (params['sender_action'] !== undefined) return parseSenderAction(params, recipient);
  const message = jsonParam(params['message']);
  if (message === undefined) throw invalidParameter('The parameter message is required');
  if (!isObject(message)) throw invalidParameter('Param message must be a JSON object');
  const present = ['text', 'attachment', 'attachments'].filter((k) => message[k] !== undefined);
  if (present.length === 0) throw invalidParameter('Param message must contain text, attachment or attachments');
  if (present.length > 1) throw invalidParameter('Only one of message[text], message[attachment] or message[attachments] may be specified');
  const out: MessageSend = {
    kind: 'message', recipient, text: null, attachments: [], quickReplies: null,
    tag: parseTag(params), replyTo: null, mediaShareId: null,
  };
  const text = message['text'];
  if (text !== undefined) {
    if (!nonEmpty(text)) throw invalidParameter('Param message[text] must be a non-empty UTF-8 encoded string');
    if (Buffer.byteLength(text, 'utf8') > INSTAGRAM_TEXT_MAX_BYTES)
      throw invalidParameter(`Length of param message[text] must be less than or equal to ${INSTAGRAM_TEXT_MAX_BYTES} bytes`);
    out.text = text;
  }
  if (message['attachments'] !== undefined) out.attachments = parseImages(message['attachments']);
  if (message['attachment'] !== undefined) {
    const parsed = parseAttachment(message['attachment']);
    out.attachments = [parsed.attachment];
    out.mediaShareId = parsed.mediaShareId;
  }
  if (message['quick_replies'] !== undefined) out.quickReplies = parseQuickReplies(message['quick_replies']);
  const replyTo = jsonParam(params['reply_to']);
  if (replyTo !== undefined) {
    if (variants.outboundReplyTo === 'reject') throw invalidParameter('Param reply_to is not supported');
    if (!isObject(replyTo) || !nonEmpty(replyTo['mid'])) throw invalidParameter('The parameter reply_to[mid] is required');
    out.replyTo = replyTo['mid'];
  }
  return out;
}
