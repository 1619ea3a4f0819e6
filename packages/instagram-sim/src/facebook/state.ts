import { z } from 'zod';

/**
 * The Facebook side of the simulated world (§7): people who log in with Facebook, the Pages they manage (each
 * possibly linked to an Instagram professional account), what each person granted each app, Login codes, user and
 * Page tokens, and Page webhook subscriptions. Apps are the shared ones: the Facebook Login `client_id` is an app's
 * `metaAppId`, its secret the app's `metaAppSecret`.
 */

export const fbUserSchema = z.object({ id: z.string(), name: z.string() });
export type SimFacebookUser = z.infer<typeof fbUserSchema>;

export const pageSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** The IG_ID of the Instagram professional account linked to the Page, if any. */
  igAccountId: z.string().nullable(),
  /** Facebook user ids of the people who may act for the Page (the MESSAGE task). */
  managers: z.array(z.string()),
});
export type SimPage = z.infer<typeof pageSchema>;

/** What a person allowed an app in the Login dialog: permissions granted and declined, and which Pages. */
export const grantSchema = z.object({
  appId: z.string(),
  userId: z.string(),
  granted: z.array(z.string()),
  declined: z.array(z.string()),
  pageIds: z.array(z.string()),
});
export type SimGrant = z.infer<typeof grantSchema>;

export const fbCodeSchema = z.object({
  code: z.string(),
  appId: z.string(),
  userId: z.string(),
  redirectUri: z.string(),
  createdAt: z.number(),
  used: z.boolean(),
});
export type SimFacebookCode = z.infer<typeof fbCodeSchema>;

export const fbTokenSchema = z.object({
  token: z.string(),
  kind: z.enum(['user_short', 'user_long', 'page']),
  appId: z.string(),
  userId: z.string(),
  /** Set on Page tokens. */
  pageId: z.string().nullable(),
  issuedAt: z.number(),
  /** null: never expires (a Page token made from a long-lived user token). */
  expiresAt: z.number().nullable(),
  revokedSubcode: z.number().nullable(),
});
export type SimFacebookToken = z.infer<typeof fbTokenSchema>;

export const pageSubscriptionSchema = z.object({
  appId: z.string(),
  pageId: z.string(),
  fields: z.array(z.string()),
  createdAt: z.number(),
});
export type SimPageSubscription = z.infer<typeof pageSubscriptionSchema>;

export const facebookStateSchema = z.object({
  users: z.array(fbUserSchema).default([]),
  /** The person logged in on the Login dialog (the first one if null). */
  sessionUserId: z.string().nullable().default(null),
  pages: z.array(pageSchema).default([]),
  grants: z.array(grantSchema).default([]),
  codes: z.array(fbCodeSchema).default([]),
  tokens: z.array(fbTokenSchema).default([]),
  pageSubscriptions: z.array(pageSubscriptionSchema).default([]),
});
export type FacebookState = z.infer<typeof facebookStateSchema>;
