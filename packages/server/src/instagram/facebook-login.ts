import { z } from 'zod';
import type { GraphCaller } from './graph-caller.ts';
import { GraphClientConfigError } from './graph-errors.ts';
import { graphIdSchema, nextCursor, pagingSchema } from './graph-schemas.ts';
import { stripCodeFragment } from './graph-oauth.ts';
import { endpoint, parseAnswer } from './graph-transport.ts';
import type { Transport } from './graph-transport.ts';

/**
 * Facebook Login for the Messenger Platform for Instagram (platform reference §7): the dialog URL, code → user
 * token, user token → long-lived user token (`fb_exchange_token`), the person (`/me`), what they granted
 * (`/me/permissions`), and their Pages with the linked Instagram accounts and Page tokens (`/me/accounts`, every page
 * of results). The two token GETs carry the code, the token and the app secret in the query, as Meta requires; the
 * transport never logs a query, and no error repeats a URL.
 */

export interface FacebookLoginSettings {
  /** `https://www.facebook.com` (the dialog is at `/{version}/dialog/oauth`). */
  dialogUrl: string;
  /** `https://graph.facebook.com` */
  graphUrl: string;
  graphVersion: string;
  /** The Meta app id and secret (FACEBOOK_APP_ID / FACEBOOK_APP_SECRET). */
  appId: string | undefined;
  appSecret: string | undefined;
}

export interface FacebookUserToken {
  accessToken: string;
  /** Seconds, when Meta says. */
  expiresIn: number | null;
}

export interface FacebookPermission {
  permission: string;
  status: 'granted' | 'declined' | 'expired';
}

export interface LinkedInstagramAccount {
  igUserId: string;
  username: string;
  name?: string;
  profilePictureUrl?: string;
  followersCount?: number;
  followsCount?: number;
  mediaCount?: number;
}

/** A Facebook Page as `/me/accounts` (or `/me` with its Page token) shows it. */
export interface FacebookPage {
  id: string;
  name: string;
  /** Null for a Page without a linked Instagram professional account. */
  instagram: LinkedInstagramAccount | null;
}
export interface FacebookPageWithToken extends FacebookPage {
  accessToken: string;
}

const optionalString = z.string().nullable().optional().transform((v) => v ?? undefined);
const optionalCount = z.number().nullable().optional().transform((v) => v ?? undefined);
const tokenSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.number().int().nonnegative().optional(),
});
const userSchema = z.object({ id: graphIdSchema, name: z.string().optional() });
const permissionsSchema = z.object({
  data: z.array(z.object({ permission: z.string(), status: z.enum(['granted', 'declined', 'expired']) })),
});
const instagramAccountSchema = z.object({
  id: graphIdSchema,
  username: z.string(),
  name: optionalString,
  profile_picture_url: optionalString,
  followers_count: optionalCount,
  follows_count: optionalCount,
  media_count: optionalCount,
});
const pageSchema = z.object({
  id: graphIdSchema,
  name: z.string().default(''),
  instagram_business_account: instagramAccountSchema.nullable().optional(),
});
const accountsSchema = z.object({
  data: z.array(pageSchema.extend({ access_token: z.string().min(1).optional() })),
  paging: pagingSchema,
});

export const INSTAGRAM_ACCOUNT_FIELDS = 'id,username,name,profile_picture_url,followers_count,follows_count,media_count';
const PAGE_FIELDS = `id,name,instagram_business_account{${INSTAGRAM_ACCOUNT_FIELDS}}`;
/** Pages per `/me/accounts` call (Meta's default page size), and how many calls one login may make (5000 Pages). */
const PAGES_PER_CALL = 25;
const MAX_PAGE_CALLS = 200;

export function instagramAccountOf(a: z.output<typeof instagramAccountSchema>): LinkedInstagramAccount {
  return {
    igUserId: a.id,
    username: a.username,
    name: a.name,
    profilePictureUrl: a.profile_picture_url,
    followersCount: a.followers_count,
    followsCount: a.follows_count,
    mediaCount: a.media_count,
  };
}

export function pageOf(p: z.output<typeof pageSchema>): FacebookPage {
  return { id: p.id, name: p.name, instagram: p.instagram_business_account ? instagramAccountOf(p.instagram_business_account) : null };
}

export const facebookPageSchema = pageSchema;
export const FACEBOOK_PAGE_FIELDS = PAGE_FIELDS;

export function createFacebookLoginCalls(transport: Transport, graph: GraphCaller, settings: FacebookLoginSettings) {
  const required = (value: string | undefined, name: string): string => {
    if (value === undefined || value === '') throw new GraphClientConfigError(`The Facebook ${name} is not configured`);
    return value;
  };
  const tokenUrl = (query: Record<string, string>) => endpoint(settings.graphUrl, `/${settings.graphVersion}/oauth/access_token`, query);

  return {
    /** The Login dialog: client_id, redirect_uri, state, response_type=code, comma-separated scope; `rerequest` asks declined permissions again. */
    buildDialogUrl(input: { redirectUri: string; scopes: readonly string[]; state: string; rerequest?: boolean }): string {
      return endpoint(settings.dialogUrl, `/${settings.graphVersion}/dialog/oauth`, {
        client_id: required(settings.appId, 'app id'),
        redirect_uri: input.redirectUri,
        state: input.state,
        response_type: 'code',
        scope: input.scopes.join(','),
        auth_type: input.rerequest ? 'rerequest' : undefined,
      }).toString();
    },

    /** Code → user token. A code is single use: a lost answer may have consumed it, so this is not idempotent. */
    async exchangeCode(input: { code: string; redirectUri: string }): Promise<FacebookUserToken> {
      const url = tokenUrl({
        client_id: required(settings.appId, 'app id'),
        client_secret: required(settings.appSecret, 'app secret'),
        redirect_uri: input.redirectUri,
        // Facebook appends `#_=_`; a browser never sends it, but a pasted code may carry it.
        code: stripCodeFragment(input.code.replace(/#_=_$/, '')),
      });
      const answer = await transport.call({ method: 'GET', url, idempotent: false });
      const body = parseAnswer(tokenSchema, answer);
      return { accessToken: body.access_token, expiresIn: body.expires_in ?? null };
    },

    /** User token → long-lived user token (about 60 days); Page tokens read with it never expire. */
    async exchangeForLongLived(userToken: string): Promise<FacebookUserToken> {
      const url = tokenUrl({
        grant_type: 'fb_exchange_token',
        client_id: required(settings.appId, 'app id'),
        client_secret: required(settings.appSecret, 'app secret'),
        fb_exchange_token: userToken,
      });
      const answer = await transport.call({ method: 'GET', url, idempotent: true });
      const body = parseAnswer(tokenSchema, answer);
      return { accessToken: body.access_token, expiresIn: body.expires_in ?? null };
    },

    /** The person: their app-scoped Facebook id (Meta's callbacks name them by it) and name. */
    async getUser(userToken: string): Promise<{ id: string; name: string | null }> {
      const user = parseAnswer(userSchema, await graph.get(userToken, '/me', { fields: 'id,name' }));
      return { id: user.id, name: user.name ?? null };
    },

    async getPermissions(userToken: string): Promise<FacebookPermission[]> {
      return parseAnswer(permissionsSchema, await graph.get(userToken, '/me/permissions')).data;
    },

    /** Every Page the person granted, following `paging.next` to the end. */
    async listPages(userToken: string): Promise<FacebookPageWithToken[]> {
      const pages: FacebookPageWithToken[] = [];
      let after: string | undefined;
      for (let call = 0; call < MAX_PAGE_CALLS; call += 1) {
        const answer = await graph.get(userToken, '/me/accounts', {
          fields: `${PAGE_FIELDS},access_token`,
          limit: String(PAGES_PER_CALL),
          after,
        });
        const list = parseAnswer(accountsSchema, answer);
        for (const p of list.data) if (p.access_token) pages.push({ ...pageOf(p), accessToken: p.access_token });
        const next = nextCursor(list.paging);
        if (next === null || list.data.length === 0) break;
        after = next;
      }
      return pages;
    },
  };
}
export type FacebookLoginCalls = ReturnType<typeof createFacebookLoginCalls>;
