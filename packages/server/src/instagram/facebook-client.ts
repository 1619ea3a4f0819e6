import type { Logger } from 'pino';
import { createGraphCaller } from './graph-caller.ts';
import { createConversationCalls } from './graph-conversations.ts';
import { createMessagingCalls } from './graph-messaging.ts';
import { createProfileCalls } from './graph-profile.ts';
import { createTransport, DEFAULT_GRAPH_TIMEOUT_MS, parseAnswer } from './graph-transport.ts';
import type { GraphUsage } from './graph-usage.ts';
import { createFacebookLoginCalls, FACEBOOK_PAGE_FIELDS, facebookPageSchema, pageOf } from './facebook-login.ts';
import type { FacebookPage } from './facebook-login.ts';

/**
 * The graph.facebook.com client (Messenger Platform for Instagram, §7): Facebook Login, the Page a Page token acts
 * for, and with that Page token the same Send, Conversations, profile and subscribed_apps calls as graph.instagram.com
 * (the API surface is the same; host and token differ). Like the Instagram client it holds no token and reads no
 * configuration; errors are the same GraphApiError, classified the same way.
 */

export interface FacebookClientOptions {
  /** `https://www.facebook.com` */
  dialogUrl: string;
  /** `https://graph.facebook.com` */
  graphUrl: string;
  graphVersion: string;
  /** The Meta app id and secret; needed by Facebook Login only. */
  appId?: string | undefined;
  appSecret?: string | undefined;
  timeoutMs?: number;
  fetch?: typeof fetch;
  log?: Logger;
}

export function createFacebookClient(options: FacebookClientOptions) {
  const transport = createTransport({
    timeoutMs: options.timeoutMs ?? DEFAULT_GRAPH_TIMEOUT_MS,
    fetch: options.fetch,
    log: options.log?.child({ module: 'facebook-graph' }),
  });
  const graph = createGraphCaller(transport, options.graphUrl, options.graphVersion);
  const { getUserProfile, subscribeApp, unsubscribeApp, listSubscribedApps } = createProfileCalls(graph);
  return {
    ...createFacebookLoginCalls(transport, graph, {
      dialogUrl: options.dialogUrl,
      graphUrl: options.graphUrl,
      graphVersion: options.graphVersion,
      appId: options.appId,
      appSecret: options.appSecret,
    }),
    /** The Page a Page token acts for (`/me`), with its linked Instagram account if it has one. */
    async getPage(pageToken: string): Promise<FacebookPage & { usage: GraphUsage }> {
      const answer = await graph.get(pageToken, '/me', { fields: FACEBOOK_PAGE_FIELDS });
      return { ...pageOf(parseAnswer(facebookPageSchema, answer)), usage: answer.usage };
    },
    getUserProfile,
    subscribeApp,
    unsubscribeApp,
    listSubscribedApps,
    ...createMessagingCalls(graph),
    ...createConversationCalls(graph),
  };
}

export type FacebookClient = ReturnType<typeof createFacebookClient>;
export type { FacebookPage, FacebookPageWithToken, FacebookPermission, FacebookUserToken, LinkedInstagramAccount } from './facebook-login.ts';
