import { z } from 'zod';
import { flatOrWrapped, graphIdSchema } from './graph-schemas.ts';
import { parseAnswer } from './graph-transport.ts';
import type { GraphUsage } from './graph-usage.ts';
import type { GraphCaller } from './graph-caller.ts';

/** The connected account (`/me`), a customer's profile, and the account's webhook subscription (§2, §3.4). */

export interface InstagramMe {
  /** App-scoped id of the app user (not the id webhooks use). */
  id: string;
  /** The IG professional account id (IG_ID): `entry[].id` of webhooks. Key accounts by this. */
  userId: string;
  username: string;
  name?: string;
  accountType?: string;
  profilePictureUrl?: string;
  followersCount?: number;
  followsCount?: number;
  mediaCount?: number;
  biography?: string;
  usage: GraphUsage;
}

export interface InstagramUserProfile {
  name?: string;
  username?: string;
  /** Expires within days: store the picture, not the URL, if it must last. */
  profilePic?: string;
  followerCount?: number;
  isUserFollowBusiness?: boolean;
  isBusinessFollowUser?: boolean;
  isVerifiedUser?: boolean;
  usage: GraphUsage;
}

export interface SubscribedApp {
  id: string;
  name: string | null;
  subscribedFields: string[];
}

export const ME_FIELDS = [
  'id',
  'user_id',
  'username',
  'name',
  'account_type',
  'profile_picture_url',
  'followers_count',
  'follows_count',
  'media_count',
] as const;
export const PROFILE_FIELDS = [
  'name',
  'username',
  'profile_pic',
  'follower_count',
  'is_user_follow_business',
  'is_business_follow_user',
  'is_verified_user',
] as const;

const optionalString = z.string().nullable().optional().transform((v) => v ?? undefined);
const optionalCount = z.number().nullable().optional().transform((v) => v ?? undefined);
const optionalFlag = z.boolean().nullable().optional().transform((v) => v ?? undefined);

const meSchema = flatOrWrapped(
  z.object({
    id: graphIdSchema,
    user_id: graphIdSchema,
    username: z.string(),
    name: optionalString,
    account_type: optionalString,
    profile_picture_url: optionalString,
    followers_count: optionalCount,
    follows_count: optionalCount,
    media_count: optionalCount,
    biography: optionalString,
  }),
);
const profileSchema = z.object({
  name: optionalString,
  username: optionalString,
  profile_pic: optionalString,
  follower_count: optionalCount,
  is_user_follow_business: optionalFlag,
  is_business_follow_user: optionalFlag,
  is_verified_user: optionalFlag,
});
const successSchema = z.object({ success: z.boolean() });
const subscribedAppsSchema = z.object({
  data: z.array(
    z.object({
      id: graphIdSchema,
      name: z.string().nullable().optional(),
      subscribed_fields: z.array(z.string()).default([]),
    }),
  ),
});

export function createProfileCalls(graph: GraphCaller) {
  return {
    /**
     * The connected account. `biography` is not in Meta's documented field list for this API (§2, [?]), so it is
     * requested only when asked for.
     */
    async getMe(token: string, options: { includeBiography?: boolean } = {}): Promise<InstagramMe> {
      const fields = options.includeBiography ? [...ME_FIELDS, 'biography'] : [...ME_FIELDS];
      const answer = await graph.get(token, '/me', { fields: fields.join(',') });
      const me = parseAnswer(meSchema, answer);
      return {
        id: me.id,
        userId: me.user_id,
        username: me.username,
        name: me.name,
        accountType: me.account_type,
        profilePictureUrl: me.profile_picture_url,
        followersCount: me.followers_count,
        followsCount: me.follows_count,
        mediaCount: me.media_count,
        biography: me.biography,
        usage: answer.usage,
      };
    },

    /** A customer's profile by IGSID; needs their consent (they messaged the account), else error 230. */
    async getUserProfile(token: string, igsid: string): Promise<InstagramUserProfile> {
      const answer = await graph.get(token, `/${encodeURIComponent(igsid)}`, { fields: PROFILE_FIELDS.join(',') });
      const p = parseAnswer(profileSchema, answer);
      return {
        name: p.name,
        username: p.username,
        profilePic: p.profile_pic,
        followerCount: p.follower_count,
        isUserFollowBusiness: p.is_user_follow_business,
        isBusinessFollowUser: p.is_business_follow_user,
        isVerifiedUser: p.is_verified_user,
        usage: answer.usage,
      };
    },

    /**
     * Turns webhooks on for the token's account (or, with a Page token on graph.facebook.com, the Page `node`), for
     * these fields (the app's dashboard fields still apply).
     */
    async subscribeApp(token: string, fields: readonly string[], node = 'me'): Promise<{ success: boolean; usage: GraphUsage }> {
      const answer = await graph.post(token, `/${encodeURIComponent(node)}/subscribed_apps`, { subscribed_fields: fields.join(',') }, undefined, true);
      return { success: parseAnswer(successSchema, answer).success, usage: answer.usage };
    },

    /** The apps subscribed to the token's account (or, with a Page token on graph.facebook.com, the Page `node`). */
    async listSubscribedApps(token: string, node = 'me'): Promise<{ apps: SubscribedApp[]; usage: GraphUsage }> {
      const answer = await graph.get(token, `/${encodeURIComponent(node)}/subscribed_apps`);
      const apps = parseAnswer(subscribedAppsSchema, answer).data.map((app) => ({
        id: app.id,
        name: app.name ?? null,
        subscribedFields: app.subscribed_fields,
      }));
      return { apps, usage: answer.usage };
    },

    /** Stops webhooks for the token's account or Page `node` (on disconnect or deauthorize). */
    async unsubscribeApp(token: string, node = 'me'): Promise<{ success: boolean; usage: GraphUsage }> {
      const answer = await graph.delete(token, `/${encodeURIComponent(node)}/subscribed_apps`);
      return { success: parseAnswer(successSchema, answer).success, usage: answer.usage };
    },
  };
}
