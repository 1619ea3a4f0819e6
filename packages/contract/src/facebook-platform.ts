import { z } from 'zod';

/**
 * Facts of the second way to answer Instagram DMs, the Messenger Platform for Instagram through Facebook Login
 * (graph.facebook.com, Page access tokens), that Threadline's server and the platform simulator must agree on.
 * Source: shared/instagram-platform.md §0 and §7.
 */

/** How an account reaches Meta: Instagram Login (graph.instagram.com) or a Facebook Page (graph.facebook.com). */
export const LOGIN_PATHS = ['instagram_login', 'facebook_login'] as const;
export const loginPathSchema = z.enum(LOGIN_PATHS);
export type LoginPath = z.infer<typeof loginPathSchema>;

export const FACEBOOK_DEFAULT_URLS = {
  /** The Login dialog lives at `{dialog}/{version}/dialog/oauth`. */
  dialog: 'https://www.facebook.com',
  graph: 'https://graph.facebook.com',
} as const;

/** Permissions asked for when FACEBOOK_OAUTH_SCOPES is not set (§7, WH requirements table). */
export const DEFAULT_FACEBOOK_OAUTH_SCOPES = [
  'instagram_basic',
  'instagram_manage_messages',
  'pages_manage_metadata',
  'pages_show_list',
  'pages_read_engagement',
  'business_management',
] as const;

/**
 * What answering DMs through a Page cannot do without: reading the Instagram account, messaging, subscribing the Page
 * to webhooks, listing the Pages and reading their conversations. `business_management` is left out: only Pages held
 * in a Business Manager need it.
 */
export const FACEBOOK_REQUIRED_PERMISSIONS = [
  'instagram_basic',
  'instagram_manage_messages',
  'pages_manage_metadata',
  'pages_show_list',
  'pages_read_engagement',
] as const;

/** Permission names Facebook Login knows (the simulator's dialog refuses others, as Meta's does). */
export const FACEBOOK_PERMISSIONS = [
  'public_profile',
  'email',
  ...DEFAULT_FACEBOOK_OAUTH_SCOPES,
  'instagram_manage_comments',
  'instagram_content_publish',
  'instagram_manage_insights',
  'pages_messaging',
  'pages_manage_posts',
] as const;
export type FacebookPermission = (typeof FACEBOOK_PERMISSIONS)[number];

/** `expires_in` of a short-lived Facebook user token (about an hour) and of a long-lived one (about 60 days). */
export const FACEBOOK_SHORT_LIVED_TOKEN_SECONDS = 60 * 60;
export const FACEBOOK_LONG_LIVED_TOKEN_SECONDS = 5_183_944;
/** A Facebook Login code: single use, 10 minutes. */
export const FACEBOOK_OAUTH_CODE_TTL_SECONDS = 10 * 60;
