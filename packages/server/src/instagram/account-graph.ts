import { ACCOUNT_WEBHOOK_FIELDS, type LoginPath } from '@threadline/contract';
import type { FacebookClient } from './facebook-client.ts';
import type { GraphClient } from './graph-client.ts';
import type { ConversationSummary, MessageDetail, MessageSummary, Page } from './graph-conversations.ts';
import type { SendResult } from './graph-messaging.ts';
import type { InstagramUserProfile, SubscribedApp } from './graph-profile.ts';
import type { SendBody } from './graph-send-bodies.ts';

/**
 * One Graph client bound to one account: its path decides the host (graph.instagram.com or graph.facebook.com), the
 * token (Instagram user token or Page token) and the node calls go to (the account, or its Page). Every caller that
 * acts for an account (send jobs, sender actions, reactions, customer profiles, reconciliation, message lookups,
 * subscribe / unsubscribe, profile and token checks) goes through this interface and never looks at the path.
 */

/** The calls both hosts answer the same way, each taking the token of the account it acts for. */
export type GraphHost = Pick<
  GraphClient,
  'sendMessage' | 'getUserProfile' | 'listConversations' | 'getConversationMessages' | 'getMessage' | 'subscribeApp' | 'unsubscribeApp' | 'listSubscribedApps'
>;
export type GraphHosts = {
  instagram: GraphHost & Pick<GraphClient, 'getMe'>;
  facebook: GraphHost & Pick<FacebookClient, 'getPage'>;
};

/** What binding needs: the path, the token, the Instagram account, and (facebook_login) its Page. */
export interface AccountConnection {
  path: LoginPath;
  accessToken: string;
  igUserId: string;
  facebookPageId: string | null;
}

/** The account as its token sees it now. */
export interface AccountProfile {
  /** The Instagram account the token reaches: null when the Page no longer has one linked. */
  igUserId: string | null;
  /** Instagram Login only: the app-scoped id (`/me.id`). */
  igAppScopedId?: string;
  username?: string;
  name?: string;
  accountType?: string;
  profilePictureUrl?: string;
  followersCount?: number;
  followsCount?: number;
  mediaCount?: number;
  /** facebook_login: the Page (its name may have changed). */
  page: { id: string; name: string } | null;
}

export interface AccountGraphClient {
  readonly path: LoginPath;
  readonly igUserId: string;
  sendMessage(body: SendBody): Promise<SendResult>;
  getUserProfile(igsid: string): Promise<InstagramUserProfile>;
  listConversations(options?: { userId?: string; after?: string; limit?: number }): Promise<Page<ConversationSummary>>;
  getConversationMessages(conversationId: string, options?: { after?: string; limit?: number }): Promise<Page<MessageSummary>>;
  /** `GET /<MESSAGE_ID>?fields=id,created_time,from,to,message,attachments` on the account's host. */
  getMessage(messageId: string): Promise<MessageDetail>;
  /** Turns the account's webhooks on (`subscribed_apps`, the account or its Page); answers Meta's `success`. */
  subscribe(): Promise<boolean>;
  unsubscribe(): Promise<boolean>;
  /** The apps whose webhooks the account (or its Page) has turned on, with their fields: what `threadline doctor` checks. */
  subscribedApps(): Promise<SubscribedApp[]>;
  /** Reads the account's profile with its token: the daily check that the token still works. */
  readProfile(): Promise<AccountProfile>;
}

export function bindAccountGraph(hosts: GraphHosts, c: AccountConnection): AccountGraphClient {
  const token = c.accessToken;
  const common = (host: GraphHost, node: string, sendNode: string) => ({
    igUserId: c.igUserId,
    sendMessage: (body: SendBody) => host.sendMessage(token, sendNode, body),
    getUserProfile: (igsid: string) => host.getUserProfile(token, igsid),
    listConversations: (options: { userId?: string; after?: string; limit?: number } = {}) => host.listConversations(token, { ...options, node }),
    getConversationMessages: (id: string, options: { after?: string; limit?: number } = {}) => host.getConversationMessages(token, id, options),
    getMessage: (messageId: string) => host.getMessage(token, messageId),
    subscribe: async () => (await host.subscribeApp(token, ACCOUNT_WEBHOOK_FIELDS, node)).success,
    unsubscribe: async () => (await host.unsubscribeApp(token, node)).success,
    subscribedApps: async () => (await host.listSubscribedApps(token, node)).apps,
  });

  if (c.path === 'facebook_login') {
    // A Page token's `me` is the Page; its id is used when known (the legacy account may not know it yet).
    const node = c.facebookPageId ?? 'me';
    return {
      path: c.path,
      ...common(hosts.facebook, node, node),
      async readProfile() {
        const page = await hosts.facebook.getPage(token);
        const ig = page.instagram;
        return {
          igUserId: ig?.igUserId ?? null,
          username: ig?.username,
          name: ig?.name,
          profilePictureUrl: ig?.profilePictureUrl,
          followersCount: ig?.followersCount,
          followsCount: ig?.followsCount,
          mediaCount: ig?.mediaCount,
          page: { id: page.id, name: page.name },
        };
      },
    };
  }
  return {
    path: c.path,
    ...common(hosts.instagram, 'me', c.igUserId),
    async readProfile() {
      const me = await hosts.instagram.getMe(token);
      return {
        igUserId: me.userId,
        igAppScopedId: me.id,
        username: me.username,
        name: me.name,
        accountType: me.accountType,
        profilePictureUrl: me.profilePictureUrl,
        followersCount: me.followersCount,
        followsCount: me.followsCount,
        mediaCount: me.mediaCount,
        page: null,
      };
    },
  };
}
