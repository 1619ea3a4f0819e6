import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { timestampNow } from './columns.ts';
import { ACCOUNT_ROLES, accounts } from './accounts.ts';
import { users } from './users.ts';

/**
 * Invitation links: single use, expiring, revocable; optionally bound to a role on an account. Only the SHA-256 of
 * the link's token is kept. Whoever opens one signs up (with a password, or through Meta) and joins with its role.
 */
export const invitations = pgTable(
  'invitations',
  {
    id: uuid().primaryKey().defaultRandom(),
    tokenHash: text().notNull().unique(),
    accountId: uuid().references(() => accounts.id, { onDelete: 'cascade' }),
    role: text({ enum: ACCOUNT_ROLES }),
    createdByUserId: uuid().references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestampNow(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    usedAt: timestamp({ withTimezone: true }),
    usedByUserId: uuid().references(() => users.id, { onDelete: 'set null' }),
    revokedAt: timestamp({ withTimezone: true }),
  },
  (t) => [index('invitations_account_idx').on(t.accountId, t.createdAt)],
);

/** One-time password-reset links an administrator issued (hash of the token only), for one user. */
export const passwordResets = pgTable(
  'password_resets',
  {
    tokenHash: text().primaryKey(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdByUserId: uuid().references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestampNow(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    usedAt: timestamp({ withTimezone: true }),
  },
  (t) => [index('password_resets_user_idx').on(t.userId)],
);
