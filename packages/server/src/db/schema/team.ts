import { sql } from 'drizzle-orm';
import { index, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { timestampNow } from './columns.ts';
import { accounts } from './accounts.ts';
import { conversations } from './inbox.ts';

/** A label of an account (name unique per account, case-insensitively), set on its conversations. */
export const labels = pgTable(
  'labels',
  {
    id: uuid().primaryKey().defaultRandom(),
    accountId: uuid()
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    /** `#rrggbb` */
    color: text().notNull(),
    createdAt: timestampNow(),
    updatedAt: timestampNow(),
  },
  (t) => [uniqueIndex('labels_account_name_key').on(t.accountId, sql`lower(${t.name})`)],
);

/** Which labels a conversation carries. `account_id` is kept so that a label filter stays within one account's rows. */
export const conversationLabels = pgTable(
  'conversation_labels',
  {
    conversationId: uuid()
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    labelId: uuid()
      .notNull()
      .references(() => labels.id, { onDelete: 'cascade' }),
    accountId: uuid()
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    createdAt: timestampNow(),
  },
  (t) => [
    primaryKey({ columns: [t.conversationId, t.labelId] }),
    // the label filter: a label's conversations (semi-join into the conversation list's keyset walk)
    index('conversation_labels_label_idx').on(t.labelId, t.conversationId),
  ],
);

/** Saved replies of an account, found in the composer by their shortcut (unique per account). */
export const cannedReplies = pgTable(
  'canned_replies',
  {
    id: uuid().primaryKey().defaultRandom(),
    accountId: uuid()
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    shortcut: text().notNull(),
    text: text().notNull(),
    createdAt: timestampNow(),
    updatedAt: timestampNow(),
  },
  (t) => [uniqueIndex('canned_replies_account_shortcut_key').on(t.accountId, t.shortcut)],
);
