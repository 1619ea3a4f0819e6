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
import { users } from './users.ts';

/** How an account reaches Meta (the same list as the contract's LOGIN_PATHS). */
export const ACCOUNT_LOGIN_PATHS = ['instagram_login', 'facebook_login'] as const;
export const OAUTH_PROVIDERS = ['instagram', 'facebook'] as const;


export const ACCOUNT_STATUSES = ['active', 'reauth_required', 'disconnected'] as const;
export const ACCOUNT_ROLES = ['owner', 'admin', 'viewer'] as const;

/** An Instagram professional account connected to Threadline. */
export const accounts = pgTable(
  'accounts',
  {
    id: uuid().primaryKey().defaultRandom(),
    /** The IG professional account id (`/me.user_id`), the id webhooks carry in `entry[].id`. */
    igUserId: text().notNull(),
    /** The app-scoped id (`/me.id`); deauthorize callbacks may name the account by it. */
    igAppScopedId: text(),
    username: text().notNull(),
    name: text(),
    accountType: text(),
    accessTokenEncrypted: text(),
    tokenExpiresAt: timestamp({ withTimezone: true }),
    tokenIssuedAt: timestamp({ withTimezone: true }),
    refreshTokenEncrypted: text(),
    scopes: jsonb().$type<string[]>().notNull().default([]),
    profilePictureUrl: text(),
    biography: text(),
    followersCount: integer(),
    followsCount: integer(),
    mediaCount: integer(),
    lastSyncedAt: timestamp({ withTimezone: true }),
    status: text({ enum: ACCOUNT_STATUSES }).notNull().default('active'),
    statusReason: text(),
    statusChangedAt: timestamp({ withTimezone: true }),
    /** Configured from INSTAGRAM_BUSINESS_ACCOUNT_ID / INSTAGRAM_PAGE_ACCESS_TOKEN by the old single-account setup. */
    isLegacy: boolean().notNull().default(false),
    /**
     * `instagram_login` (graph.instagram.com, an Instagram user token) or `facebook_login` (graph.facebook.com, a Page
     * token); the newest link decides. Null only for the legacy account until Threadline found out which host its
     * token belongs to.
     */
    loginPath: text({ enum: ACCOUNT_LOGIN_PATHS }).default('instagram_login'),
    /** The Facebook Page the account is reached through (facebook_login). */
    facebookPageId: text(),
    facebookPageName: text(),
    /** The app-scoped Facebook user id of the person who linked it through Facebook; Meta's callbacks name them by it. */
    facebookUserId: text(),
    crmWebhookUrl: text(),
    /** Where a contact's record lives in the CRM: an http(s) URL with `{{contact.igsid}}` / `{{contact.username}}`. */
    crmRecordUrlTemplate: text(),
    webhookSecret: text(),
    webhookSecretPrevious: text(),
    webhookSecretRotatedAt: timestamp({ withTimezone: true }),
    crmDisabledAt: timestamp({ withTimezone: true }),
    crmDisabledReason: text(),
    crmFailingSince: timestamp({ withTimezone: true }),
    /**
     * While the endpoint is failing, when the next attempt may go to it (one at a time: a probe). Deliveries written
     * meanwhile wait instead of each failing on its own; the probe's success releases them in order.
     */
    crmProbeAt: timestamp({ withTimezone: true }),
    /**
     * When the endpoint last came back (a probe succeeded, or its URL was set): deliveries written before then are a
     * backlog, which claims take after the new ones (migration 0017).
     */
    crmRecoveredAt: timestamp({ withTimezone: true }),
    /** Messages to this account are paused until then (Meta asked us to back off). */
    sendPausedUntil: timestamp({ withTimezone: true }),
    /** New (and reopened unassigned) conversations go round robin to members who receive conversations. */
    autoAssignEnabled: boolean().notNull().default(false),
    /** Auto-assignment skips a member who already has this many open conversations here. */
    autoAssignLimit: integer().notNull().default(10),
    createdAt: timestampNow(),
    updatedAt: timestampNow(),
  },
  (t) => [
    uniqueIndex('accounts_ig_user_id_key').on(t.igUserId),
    index('accounts_token_expires_idx').on(t.tokenExpiresAt),
    index('accounts_app_scoped_idx').on(t.igAppScopedId),
    index('accounts_facebook_user_idx').on(t.facebookUserId),
  ],
);

/** Who may use which account, with which role. */
export const userAccounts = pgTable(
  'user_accounts',
  {
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    accountId: uuid()
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    role: text({ enum: ACCOUNT_ROLES }).notNull(),
    isPrimary: boolean().notNull().default(false),
    /** The member chose to receive auto-assigned conversations (admins and owners only: viewers cannot reply). */
    receivesConversations: boolean().notNull().default(false),
    /** When auto-assignment last gave this member a conversation: the round robin picks the longest-waiting member. */
    lastAutoAssignedAt: timestamp({ withTimezone: true }),
    linkedAt: timestampNow(),
  },
  (t) => [
    uniqueIndex('user_accounts_user_account_key').on(t.userId, t.accountId),
    uniqueIndex('user_accounts_one_primary_key').on(t.userId).where(sql`${t.isPrimary}`),
    index('user_accounts_account_idx').on(t.accountId),
  ],
);

/** OAuth `state` values: single use, short-lived, bound to the browser that started the flow. */
export const oauthStates = pgTable(
  'oauth_states',
  {
    state: text().primaryKey(),
    /** Which flow issued it: a state of one flow is refused by the other's callback. */
    provider: text({ enum: OAUTH_PROVIDERS }).notNull().default('instagram'),
    userId: uuid().references(() => users.id, { onDelete: 'cascade' }),
    redirectUri: text().notNull(),
    browserBindingHash: text(),
    /** The invitation the flow was started from (checked again, and used up, when the user joins). */
    invitationId: uuid(),
    createdAt: timestampNow(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    consumedAt: timestamp({ withTimezone: true }),
  },
  (t) => [index('oauth_states_expires_idx').on(t.expiresAt)],
);

/**
 * A Facebook Login that found several Pages waits here for the person to choose: the Pages with their Page tokens,
 * encrypted; single use, 10 minutes, bound to the browser like an OAuth state.
 */
export const oauthPageChoices = pgTable(
  'oauth_page_choices',
  {
    id: text().primaryKey(),
    userId: uuid().references(() => users.id, { onDelete: 'cascade' }),
    redirectUri: text().notNull(),
    browserBindingHash: text().notNull(),
    facebookUserId: text().notNull(),
    invitationId: uuid(),
    /** Vault-encrypted JSON: the Pages offered, each with its Page token and Instagram account, and the permissions granted. */
    payloadEncrypted: text().notNull(),
    createdAt: timestampNow(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    consumedAt: timestamp({ withTimezone: true }),
  },
  (t) => [index('oauth_page_choices_expires_idx').on(t.expiresAt)],
);

/** Server-to-server keys (a CRM), per account; only a hash is kept. */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid().primaryKey().defaultRandom(),
    accountId: uuid()
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    prefix: text().notNull(),
    keyHash: text().notNull(),
    scopes: jsonb().$type<string[]>().notNull(),
    createdByUserId: uuid().references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestampNow(),
    lastUsedAt: timestamp({ withTimezone: true }),
    revokedAt: timestamp({ withTimezone: true }),
  },
  (t) => [uniqueIndex('api_keys_prefix_key').on(t.prefix), index('api_keys_account_idx').on(t.accountId)],
);

/**
 * Meta `signed_request`s already acted on (SHA-256 of the whole value), so one captured request cannot be played
 * again; kept two days, one more than an `issued_at` is accepted for.
 */
export const seenSignedRequests = pgTable(
  'seen_signed_requests',
  {
    hash: text().primaryKey(),
    seenAt: timestampNow(),
  },
  (t) => [index('seen_signed_requests_seen_idx').on(t.seenAt)],
);

/** Meta's data-deletion requests, with the status page they are checked on. */
export const dataDeletionRequests = pgTable('data_deletion_requests', {
  confirmationCode: text().primaryKey(),
  accountId: uuid().references(() => accounts.id, { onDelete: 'set null' }),
  igUserId: text(),
  status: text({ enum: ['pending', 'completed', 'not_found'] }).notNull(),
  messagesDeleted: bigint({ mode: 'number' }).notNull().default(0),
  requestedAt: timestampNow(),
  completedAt: timestamp({ withTimezone: true }),
});
