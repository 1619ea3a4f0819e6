import { sql } from 'drizzle-orm';
import { boolean, index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { timestampNow } from './columns.ts';


/** People who sign in: with a password, with Instagram, or both. */
export const users = pgTable(
  'users',
  {
    id: uuid().primaryKey().defaultRandom(),
    username: text().notNull(),
    passwordHash: text(),
    oauthProvider: text(),
    oauthProviderId: text(),
    oauthEmail: text(),
    isAdmin: boolean().notNull().default(false),
    disabledAt: timestamp({ withTimezone: true }),
    passwordChangedAt: timestamp({ withTimezone: true }),
    createdAt: timestampNow(),
    updatedAt: timestampNow(),
  },
  (t) => [
    uniqueIndex('users_username_lower_key').on(sql`lower(${t.username})`),
    uniqueIndex('users_oauth_provider_id_key').on(t.oauthProvider, t.oauthProviderId),
  ],
);

/**
 * Issued UI sessions. The JWT payload is fixed by the original contract (no jti), so a session is
 * identified by the SHA-256 of its token; a revoked or unknown hash is refused even before `exp`.
 */
export const sessions = pgTable(
  'sessions',
  {
    tokenHash: text().primaryKey(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    accountId: uuid(),
    createdAt: timestampNow(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    revokedAt: timestamp({ withTimezone: true }),
    userAgent: text(),
    ip: text(),
  },
  (t) => [index('sessions_user_idx').on(t.userId), index('sessions_expires_idx').on(t.expiresAt)],
);

/** A person's own settings of the web app (`GET/PUT /api/v1/ui/preferences`); no row: the defaults. */
export const userPreferences = pgTable('user_preferences', {
  userId: uuid()
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  /** browser notifications of new messages (assigned to them or unassigned) and mentions */
  browserNotifications: boolean().notNull().default(false),
  /** a short sound with each notification */
  notificationSound: boolean().notNull().default(false),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
