import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { timestampNow } from './columns.ts';
import { accounts, apiKeys } from './accounts.ts';
import { users } from './users.ts';


/** A customer who wrote to an account, keyed by their Instagram-scoped id (IGSID). */
export const contacts = pgTable(
  'contacts',
  {
    id: uuid().primaryKey().defaultRandom(),
    accountId: uuid()
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    igsid: text().notNull(),
    username: text(),
    name: text(),
    profilePicUrl: text(),
    followerCount: integer(),
    isUserFollowBusiness: boolean(),
    isBusinessFollowUser: boolean(),
    isVerifiedUser: boolean(),
    profileFetchedAt: timestamp({ withTimezone: true }),
    profileFetchError: text(),
    createdAt: timestampNow(),
    updatedAt: timestampNow(),
  },
  (t) => [
    uniqueIndex('contacts_account_igsid_key').on(t.accountId, t.igsid),
    index('contacts_username_idx').on(t.accountId, sql`lower(${t.username})`),
  ],
);

/** One conversation per contact per account. */
export const conversations = pgTable(
  'conversations',
  {
    id: uuid().primaryKey().defaultRandom(),
    accountId: uuid()
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    contactId: uuid()
      .notNull()
      .references(() => contacts.id, { onDelete: 'cascade' }),
    igConversationId: text(),
    lastMessageAt: timestamp({ withTimezone: true }),
    lastMessageId: uuid(),
    lastMessagePreview: text(),
    lastMessageDirection: text({ enum: ['inbound', 'outbound'] }),
    /** The last inbound event that opens Meta's 24-hour window (message, story reply/mention, postback, referral). */
    lastInboundAt: timestamp({ withTimezone: true }),
    unreadCount: integer().notNull().default(0),
    needsReply: boolean().notNull().default(false),
    /** The customer has seen our messages up to this Meta timestamp. */
    seenWatermarkAt: timestamp({ withTimezone: true }),
    /**
     * Who owns the conversation (null: unassigned). Added here only for notifications ("assigned to me or
     * unassigned"); the assignment work of issue 22 adds the same column and owns its behaviour: keep one at merge.
     */
    assigneeUserId: uuid().references(() => users.id, { onDelete: 'set null' }),
    /** Last `sequence` handed to a CRM event of this conversation. */
    crmSequence: bigint({ mode: 'number' }).notNull().default(0),
    createdAt: timestampNow(),
    updatedAt: timestampNow(),
  },
  (t) => [
    uniqueIndex('conversations_account_contact_key').on(t.accountId, t.contactId),
    // DESC NULLS FIRST is what `order by … desc` means: the index then serves the keyset queries in order.
    index('conversations_account_activity_idx').on(t.accountId, t.lastMessageAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    index('conversations_account_unread_idx')
      .on(t.accountId, t.lastMessageAt.desc().nullsFirst(), t.id.desc().nullsFirst())
      .where(sql`${t.unreadCount} > 0`),
    index('conversations_account_needs_reply_idx')
      .on(t.accountId, t.lastMessageAt.desc().nullsFirst(), t.id.desc().nullsFirst())
      .where(sql`${t.needsReply}`),
  ],
);

export const MESSAGE_STATUSES = ['received', 'queued', 'sending', 'sent', 'read', 'failed', 'unknown'] as const;
export const MESSAGE_AUTHORS = ['contact', 'user', 'api_key', 'instagram_app', 'system'] as const;

export type StoredAttachment = {
  type: string;
  url?: string | null;
  mediaId?: string | null;
  payload?: Record<string, unknown>;
};

/** Every message of every conversation, inbound and outbound, unique per account + Meta `mid`. */
export const messages = pgTable(
  'messages',
  {
    id: uuid().primaryKey().defaultRandom(),
    accountId: uuid()
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    conversationId: uuid()
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    mid: text(),
    direction: text({ enum: ['inbound', 'outbound'] }).notNull(),
    authorType: text({ enum: MESSAGE_AUTHORS }).notNull(),
    authorUserId: uuid().references(() => users.id, { onDelete: 'set null' }),
    authorApiKeyId: uuid().references(() => apiKeys.id, { onDelete: 'set null' }),
    kind: text().notNull().default('text'),
    text: text(),
    attachments: jsonb().$type<StoredAttachment[]>().notNull().default([]),
    replyToMid: text(),
    replyToStory: jsonb().$type<{ id?: string; url?: string }>(),
    quickReplyPayload: text(),
    referral: jsonb().$type<Record<string, unknown>>(),
    postback: jsonb().$type<{ title?: string; payload?: string }>(),
    isUnsupported: boolean().notNull().default(false),
    status: text({ enum: MESSAGE_STATUSES }).notNull(),
    errorCode: integer(),
    errorSubcode: integer(),
    errorMessage: text(),
    humanAgent: boolean().notNull().default(false),
    /** Send API calls made for this message (outbound); transient failures are retried up to a limit. */
    sendAttempts: integer().notNull().default(0),
    /** While `sending`: the process making the call (`processes.id`); if it stops beating the outcome is `unknown`. */
    sendingBy: uuid(),
    /** Meta's timestamp of the event (ordering key); for a queued send, the time it was written. */
    sentAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
    readAt: timestamp({ withTimezone: true }),
    editedAt: timestamp({ withTimezone: true }),
    editCount: integer().notNull().default(0),
    /**
     * An edit arrived without its text (§3.7): `pending` while Threadline reads it from Meta, `unavailable` once it
     * gave up (the message then shows "edited (text unavailable)"); null when the text is current.
     */
    editTextState: text({ enum: ['pending', 'unavailable'] }),
    deletedAt: timestamp({ withTimezone: true }),
    request: jsonb().$type<Record<string, unknown>>(),
    createdAt: timestampNow(),
    updatedAt: timestampNow(),
  },
  (t) => [
    uniqueIndex('messages_account_mid_key').on(t.accountId, t.mid),
    index('messages_conversation_time_idx').on(t.conversationId, t.sentAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    index('messages_status_idx')
      .on(t.accountId, t.status)
      .where(sql`${t.status} in ('queued','sending','unknown')`),
  ],
);

/** Reactions on a message, one per reactor (the contact, or the business). */
export const messageReactions = pgTable(
  'message_reactions',
  {
    messageId: uuid()
      .notNull()
      .references(() => messages.id, { onDelete: 'cascade' }),
    accountId: uuid()
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    reactor: text({ enum: ['contact', 'business'] }).notNull(),
    reaction: text(),
    emoji: text(),
    reactedAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [uniqueIndex('message_reactions_message_reactor_key').on(t.messageId, t.reactor)],
);

/** Attachments mirrored out of Meta's expiring CDN into Threadline's own storage. */
export const mediaObjects = pgTable(
  'media_objects',
  {
    id: uuid().primaryKey().defaultRandom(),
    accountId: uuid()
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    messageId: uuid().references(() => messages.id, { onDelete: 'set null' }),
    attachmentIndex: integer(),
    source: text({ enum: ['mirror', 'upload'] }).notNull(),
    originalUrl: text(),
    storageKey: text(),
    contentType: text(),
    sizeBytes: bigint({ mode: 'number' }),
    status: text({ enum: ['pending', 'stored', 'failed', 'skipped', 'deleted'] }).notNull(),
    error: text(),
    createdAt: timestampNow(),
    updatedAt: timestampNow(),
  },
  (t) => [
    index('media_objects_message_idx').on(t.messageId),
    uniqueIndex('media_objects_message_attachment_key').on(t.messageId, t.attachmentIndex),
  ],
);
