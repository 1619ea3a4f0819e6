import { z } from 'zod';
import {
  describeIssue,
  idSchema,
  messageEditSchema,
  messageSchema,
  normaliseAttachments,
  postbackSchema,
  reactionSchema,
  readSchema,
  referralSchema,
  senderSchema,
  timestampSchema,
  UNSUPPORTED_ATTACHMENT,
} from './webhook-payload-schemas.ts';
import type {
  Direction,
  EventParties,
  EventSource,
  MessageEvent,
  NormalizedEvent,
  UnknownEvent,
  UnknownEventReason,
} from './webhook-payload-types.ts';

const itemSchema = z.looseObject({});
// `sender` may be missing on a seen event (§3.7); every other kind needs both parties (checked below).
const partiesSchema = z.looseObject({
  sender: senderSchema.optional(),
  recipient: senderSchema.optional(),
  timestamp: timestampSchema,
});

// Meta sends one kind per item; the order only matters for items that carry several keys.
const KIND_KEYS = ['message_edit', 'message', 'reaction', 'read', 'postback', 'referral'] as const;
type ItemKind = (typeof KIND_KEYS)[number];

/**
 * Turns one `messaging[]` / `standby[]` item into an event. Never throws: a bad item becomes `type: 'unknown'`.
 * `path` says where the item is in the body (`entry[0].messaging[2]`).
 */
export function normalizeMessagingItem(item: unknown, accountIgId: string, source: EventSource, path = `${source}[0]`): NormalizedEvent {
  const object = itemSchema.safeParse(item);
  if (!object.success) return unknownEvent(item, accountIgId, source, path, 'item_not_object');

  const parties = partiesSchema.safeParse(item);
  if (!parties.success) {
    const field = parties.error.issues[0]?.path[0];
    const reason: UnknownEventReason =
      field === 'sender' ? 'invalid_sender' : field === 'recipient' ? 'invalid_recipient' : 'invalid_timestamp';
    return unknownEvent(item, accountIgId, source, path, reason, describeIssue(parties.error));
  }

  const kind = KIND_KEYS.find((key) => object.data[key] !== undefined);
  if (kind === undefined) {
    const keys = Object.keys(object.data).filter((key) => !['sender', 'recipient', 'timestamp'].includes(key));
    return unknownEvent(item, accountIgId, source, path, 'unrecognised_item', `keys: ${keys.join(', ') || '(none)'}`);
  }

  const { sender, recipient, timestamp } = parties.data;
  if (kind === 'read' && sender === undefined) {
    // Matched by mid alone: the customer has seen one of the account's messages (§3.7).
    const parsed = readSchema.safeParse(object.data[kind]);
    if (!parsed.success) return unknownEvent(item, accountIgId, source, path, 'malformed_item', `read.${describeIssue(parsed.error)}`);
    const recipientId = recipient?.id ?? accountIgId;
    return {
      source, accountIgId, senderId: null, recipientId, contactIgsid: null, direction: 'inbound', timestamp, raw: item, path,
      type: 'read', mid: parsed.data.mid,
    };
  }
  if (sender === undefined) return unknownEvent(item, accountIgId, source, path, 'invalid_sender', 'sender: required');
  if (recipient === undefined) return unknownEvent(item, accountIgId, source, path, 'invalid_recipient', 'recipient: required');

  const base = { source, accountIgId, senderId: sender.id, recipientId: recipient.id, timestamp, raw: item, path };
  const event = normalizeKind(kind, object.data[kind], base);
  if (event.ok) return event.event;
  return unknownEvent(item, accountIgId, source, path, 'malformed_item', `${kind}.${event.detail}`);
}

type Base = Omit<EventParties, 'contactIgsid' | 'direction'>;
type KindResult = { ok: true; event: NormalizedEvent } | { ok: false; detail: string };

function normalizeKind(kind: ItemKind, value: unknown, base: Base): KindResult {
  switch (kind) {
    case 'message':
      return normalizeMessage(value, base);
    case 'message_edit': {
      const parsed = messageEditSchema.safeParse(value);
      if (!parsed.success) return { ok: false, detail: describeIssue(parsed.error) };
      const { mid, text, num_edit: numEdit } = parsed.data;
      const event = { ...withDirection(base, false), type: 'message_edit' as const, mid };
      return { ok: true, event: { ...event, ...defined({ text, numEdit }) } };
    }
    case 'reaction': {
      const parsed = reactionSchema.safeParse(value);
      if (!parsed.success) return { ok: false, detail: describeIssue(parsed.error) };
      const { mid, action, reaction, emoji } = parsed.data;
      const event = { ...withDirection(base, false), type: 'reaction' as const, mid, action };
      return { ok: true, event: { ...event, ...defined({ reaction, emoji }) } };
    }
    case 'read': {
      const parsed = readSchema.safeParse(value);
      if (!parsed.success) return { ok: false, detail: describeIssue(parsed.error) };
      return { ok: true, event: { ...withDirection(base, false), type: 'read', mid: parsed.data.mid } };
    }
    case 'postback': {
      const parsed = postbackSchema.safeParse(value);
      if (!parsed.success) return { ok: false, detail: describeIssue(parsed.error) };
      const { mid, title, payload, referral } = parsed.data;
      const event = { ...withDirection(base, false), type: 'postback' as const, payload };
      return { ok: true, event: { ...event, ...defined({ mid, title, referral }) } };
    }
    case 'referral': {
      const parsed = referralSchema.safeParse(value);
      if (!parsed.success) return { ok: false, detail: describeIssue(parsed.error) };
      return { ok: true, event: { ...withDirection(base, false), type: 'referral', referral: parsed.data } };
    }
  }
}

function normalizeMessage(value: unknown, base: Base): KindResult {
  const parsed = messageSchema.safeParse(value);
  if (!parsed.success) return { ok: false, detail: describeIssue(parsed.error) };
  const message = parsed.data;
  const isEcho = message.is_echo === true;
  const parties = withDirection(base, isEcho);
  if (message.is_deleted === true) {
    return { ok: true, event: { ...parties, type: 'message_deleted', mid: message.mid } };
  }
  const attachments = normaliseAttachments(message.attachments ?? message.attachment);
  const event: MessageEvent = {
    ...parties,
    type: 'message',
    mid: message.mid,
    attachments,
    isEcho,
    isSelf: message.is_self === true,
    // two shapes of one thing (§3.7): the flag, or an `unsupported_type` attachment without it
    isUnsupported: message.is_unsupported === true || attachments.some((a) => a.type === UNSUPPORTED_ATTACHMENT),
  };
  if (message.text !== undefined) event.text = message.text;
  if (message.reply_to !== undefined) event.replyTo = message.reply_to;
  if (message.quick_reply !== undefined) event.quickReply = { payload: message.quick_reply.payload };
  if (message.referral !== undefined) event.referral = message.referral;
  return { ok: true, event };
}

/**
 * Echoes (`is_echo`) are ours. So is any other item sent by the account itself to someone else (e.g. a reaction the
 * business made through the API). Self-messaging tests (sender = recipient = account) stay inbound.
 */
export function resolveDirection(accountIgId: string, senderId: string, recipientId: string, isEcho: boolean): Direction {
  if (isEcho) return 'outbound';
  return senderId === accountIgId && recipientId !== accountIgId ? 'outbound' : 'inbound';
}

function withDirection(base: Base, isEcho: boolean): EventParties {
  const direction = resolveDirection(base.accountIgId, base.senderId, base.recipientId, isEcho);
  return { ...base, direction, contactIgsid: direction === 'outbound' ? base.recipientId : base.senderId };
}

/** Drops keys whose value is undefined, so optional fields are absent rather than present-and-undefined. */
function defined<T extends Record<string, unknown>>(fields: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(fields) as (keyof T)[]) {
    if (fields[key] !== undefined) out[key] = fields[key];
  }
  return out;
}

const looseIdHolder = z.looseObject({ id: idSchema });

function unknownEvent(
  item: unknown,
  accountIgId: string,
  source: EventSource,
  path: string,
  reason: UnknownEventReason,
  detail?: string,
): UnknownEvent {
  const object = itemSchema.safeParse(item).data;
  const senderId = looseIdHolder.safeParse(object?.['sender']).data?.id ?? null;
  const recipientId = looseIdHolder.safeParse(object?.['recipient']).data?.id ?? null;
  const timestamp = timestampSchema.safeParse(object?.['timestamp']).data ?? null;
  const isEcho = z.looseObject({ is_echo: z.literal(true) }).safeParse(object?.['message']).success;
  const direction =
    senderId !== null && recipientId !== null ? resolveDirection(accountIgId, senderId, recipientId, isEcho) : null;
  const contactIgsid = direction === null ? null : direction === 'outbound' ? recipientId : senderId;
  const event: UnknownEvent = {
    type: 'unknown',
    reason,
    source,
    accountIgId,
    senderId,
    recipientId,
    contactIgsid,
    direction,
    timestamp,
    raw: item,
    path,
  };
  if (detail !== undefined) event.detail = detail;
  return event;
}
