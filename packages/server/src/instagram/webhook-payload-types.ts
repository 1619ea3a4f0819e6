// The normalised shape of Meta's `object: "instagram"` webhooks (platform reference §3.5–§3.7). Every id is a
// string; every timestamp is epoch milliseconds (Meta sends ms, or seconds in some captures: see timestampSchema).

/** Which list of the entry the item came from: `messaging[]`, or `standby[]` while another app owns the thread. */
export type EventSource = 'messaging' | 'standby';
export type Direction = 'inbound' | 'outbound';

export interface EventParties {
  source: EventSource;
  /** The connected account the event belongs to: `entry.id`. */
  accountIgId: string;
  senderId: string;
  recipientId: string;
  /** The customer's IGSID: the sender of an inbound event, the recipient of an outbound one (echo). */
  contactIgsid: string;
  direction: Direction;
  /** Epoch milliseconds (numbers and numeric strings accepted; a value below 10^11 was seconds and is scaled). */
  timestamp: number;
  /** The original `messaging[]` / `standby[]` item, untouched. */
  raw: unknown;
  /** Where the item sits in the body, e.g. `entry[0].messaging[2]`: how an administrator finds it again. */
  path: string;
}

/**
 * `type` as Meta sent it (image, video, audio, file, share, ig_post, ig_reel, reel, story, ig_story, story_mention,
 * media, like_heart, unsupported_type, or anything newer); `'unknown'` only when the attachment had no string type,
 * and then `payload` holds the whole original attachment. `url` is the media to mirror: `payload.url` (or a
 * top-level `url`), `payload.story_media_url` for a story; never set for `unsupported_type`, whose link shows nothing.
 */
export interface MessageAttachment {
  type: string;
  url?: string;
  payload: unknown;
}

export type ReplyTo = { mid: string } | { story: { url?: string; id?: string } };

/** An ig.me link (`OPEN_THREAD`) or a click-to-Direct ad (`source: "ADS"`). */
export interface Referral {
  ref?: string;
  source?: string;
  type?: string;
  adId?: string;
  adsContextData?: { adTitle?: string; photoUrl?: string; videoUrl?: string };
}

export interface MessageEvent extends EventParties {
  type: 'message';
  mid: string;
  text?: string;
  attachments: MessageAttachment[];
  replyTo?: ReplyTo;
  quickReply?: { payload: string };
  referral?: Referral;
  isEcho: boolean;
  isSelf: boolean;
  isUnsupported: boolean;
}

/** The customer unsent a message (`message.is_deleted: true`). */
export interface MessageDeletedEvent extends EventParties {
  type: 'message_deleted';
  mid: string;
}

/** `text` is absent in some live Instagram-Login bodies (`{mid, num_edit}` only): the text is then read from Meta. */
export interface MessageEditEvent extends EventParties {
  type: 'message_edit';
  mid: string;
  text?: string;
  numEdit?: number;
}

/** `reaction` and `emoji` are omitted by Meta on `unreact`. */
export interface ReactionEvent extends EventParties {
  type: 'reaction';
  mid: string;
  action: 'react' | 'unreact';
  reaction?: string;
  emoji?: string;
}

/**
 * `messaging_seen`: the other side has read everything up to and including `mid`. A seen event can come without
 * `sender` (§3.7): then `senderId` and `contactIgsid` are null and the conversation is found through `mid`.
 */
export interface ReadEvent extends Omit<EventParties, 'senderId' | 'contactIgsid'> {
  type: 'read';
  mid: string;
  senderId: string | null;
  contactIgsid: string | null;
}

export interface PostbackEvent extends EventParties {
  type: 'postback';
  mid?: string;
  title?: string;
  payload: string;
  referral?: Referral;
}

export interface ReferralEvent extends EventParties {
  type: 'referral';
  referral: Referral;
}

export type UnknownEventReason =
  | 'item_not_object'
  | 'invalid_sender'
  | 'invalid_recipient'
  | 'invalid_timestamp'
  | 'malformed_item'
  | 'unrecognised_item';

/**
 * An item that could not be normalised: either malformed (kept so one bad item never loses the rest of the batch)
 * or a kind this parser does not know (handover, opt-ins, …). Parties are filled in when they could be read.
 */
export interface UnknownEvent {
  type: 'unknown';
  reason: UnknownEventReason;
  /** Human-readable detail for logs, e.g. the failing field. Never contains secrets (webhooks carry none). */
  detail?: string;
  source: EventSource;
  accountIgId: string;
  senderId: string | null;
  recipientId: string | null;
  contactIgsid: string | null;
  direction: Direction | null;
  timestamp: number | null;
  raw: unknown;
  path: string;
}

export type KnownEvent =
  | MessageEvent
  | MessageDeletedEvent
  | MessageEditEvent
  | ReactionEvent
  | ReadEvent
  | PostbackEvent
  | ReferralEvent;

export type NormalizedEvent = KnownEvent | UnknownEvent;

/**
 * A `changes`-style item (comments, live_comments, mentions, the dashboard "Test" sample) or anything else on the
 * entry this parser does not turn into events, kept verbatim. `field` is null when the item carried no string field.
 */
export interface UnhandledChange {
  field: string | null;
  value: unknown;
  raw: unknown;
  /** e.g. `entry[0].changes[1]`. */
  path: string;
}

export interface ParsedEntry {
  /** The entry's index in `entry[]`. */
  index: number;
  /** The account's IG_ID (a string even when Meta sent a number); "0" for the dashboard test sample. */
  id: string;
  /** `entry.time` as sent, or null when absent or not an integer. */
  time: number | null;
  events: NormalizedEvent[];
  unhandled: UnhandledChange[];
}

export type RejectedEntryReason = 'entry_not_object' | 'invalid_entry_id';

/** An entry that cannot be attributed to an account; kept so the caller can log or store it. */
export interface RejectedEntry {
  index: number;
  reason: RejectedEntryReason;
  detail?: string;
  raw: unknown;
}

export type InvalidWebhookReason = 'not_an_object' | 'not_instagram' | 'entry_not_array';

export type ParsedWebhook =
  | { kind: 'invalid'; reason: InvalidWebhookReason }
  | { kind: 'instagram'; entries: ParsedEntry[]; rejectedEntries: RejectedEntry[] };
