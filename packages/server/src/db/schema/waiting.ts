import { sql } from 'drizzle-orm';
import { bigint, index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { timestampNow } from './columns.ts';
import { accounts } from './accounts.ts';
import { conversations, messages } from './inbox.ts';

export const WAITING_KINDS = ['reaction', 'edit', 'seen'] as const;
export type WaitingKind = (typeof WAITING_KINDS)[number];

/** What a waiting event says, by kind: a reaction's action and names, an edit's text (absent: read it from Meta). */
export type WaitingData = {
  action?: 'react' | 'unreact';
  reaction?: string | null;
  emoji?: string | null;
  text?: string;
  numEdit?: number;
};

/**
 * A reaction, edit or seen receipt about a message Threadline does not have (yet): one from before the account was
 * connected, or whose webhook is late or lost (§3.7). Kept, keyed by account and `mid`, until the message arrives
 * (a late webhook, reconciliation, a lookup), then applied to it and marked applied. One row per webhook item, so
 * the administrators' view can say which item waits; pruned with the raw events.
 */
export const waitingEvents = pgTable(
  'waiting_events',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    accountId: uuid()
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    mid: text().notNull(),
    kind: text({ enum: WAITING_KINDS }).notNull(),
    /** Who reacted or saw: the contact, or the business (from another app or the Instagram app). */
    actor: text({ enum: ['contact', 'business'] }).notNull(),
    /** Null when the event did not name its contact (a seen receipt without `sender`). */
    conversationId: uuid().references(() => conversations.id, { onDelete: 'cascade' }),
    data: jsonb().$type<WaitingData>().notNull().default({}),
    /** Meta's time of the event. */
    occurredAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
    /** The raw webhook event and the item in it (`entry[0].messaging[2]`); no foreign key: raw events are pruned. */
    webhookEventId: bigint({ mode: 'number' }),
    itemPath: text(),
    appliedAt: timestamp({ withTimezone: true }),
    messageId: uuid().references(() => messages.id, { onDelete: 'set null' }),
    createdAt: timestampNow(),
  },
  (t) => [
    // a webhook event processed again keeps its one row per item
    uniqueIndex('waiting_events_item_key').on(t.webhookEventId, t.itemPath),
    index('waiting_events_mid_idx').on(t.accountId, t.mid).where(sql`${t.appliedAt} is null`),
    index('waiting_events_created_idx').on(t.createdAt),
  ],
);
