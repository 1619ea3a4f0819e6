import type { Logger } from 'pino';
import { createGraphCaller } from './graph-caller.ts';
import { createConversationCalls } from './graph-conversations.ts';
import { createMessagingCalls } from './graph-messaging.ts';
import { createOAuthCalls } from './graph-oauth.ts';
import { createProfileCalls } from './graph-profile.ts';
import { createTransport, DEFAULT_GRAPH_TIMEOUT_MS } from './graph-transport.ts';

/**
 * The Instagram Graph API client (Instagram API with Instagram Login): OAuth, profile, webhook subscription, Send
 * API and Conversations API. It holds no token and reads no configuration: every call takes the access token of
 * the account it acts for, and every base URL comes from the caller (Meta's hosts, or the simulator).
 *
 * Failures throw GraphApiError; `classifyGraphError` says what to do about one. Results and errors carry the
 * parsed usage headers. The log gets method, path, status and duration of each call, never a token or a query.
 */

export interface GraphClientOptions {
  /** `https://www.instagram.com/oauth/authorize` */
  authorizeUrl: string;
  /** `https://api.instagram.com` (code exchange) */
  apiUrl: string;
  /** `https://graph.instagram.com` */
  graphUrl: string;
  /** e.g. `v25.0` */
  graphVersion: string;
  /** The Instagram App ID (not the Meta app id); needed by the OAuth calls only. */
  clientId?: string;
  /** The Instagram App Secret; needed by the code and long-lived token exchanges only. */
  clientSecret?: string;
  /** Deadline of each call, default 15 s. */
  timeoutMs?: number;
  /** Defaults to Node's fetch. Another fetch cannot tell whether a lost request was sent: see graph-wire.ts. */
  fetch?: typeof fetch;
  log?: Logger;
}

export function createGraphClient(options: GraphClientOptions) {
  const transport = createTransport({
    timeoutMs: options.timeoutMs ?? DEFAULT_GRAPH_TIMEOUT_MS,
    fetch: options.fetch,
    log: options.log?.child({ module: 'instagram-graph' }),
  });
  const graph = createGraphCaller(transport, options.graphUrl, options.graphVersion);
  return {
    ...createOAuthCalls(transport, {
      authorizeUrl: options.authorizeUrl,
      apiUrl: options.apiUrl,
      graphUrl: options.graphUrl,
      clientId: options.clientId,
      clientSecret: options.clientSecret,
    }),
    ...createProfileCalls(graph),
    ...createMessagingCalls(graph),
    ...createConversationCalls(graph),
  };
}

export type GraphClient = ReturnType<typeof createGraphClient>;

export { classifyGraphError, GraphApiError, GraphClientConfigError, isGraphApiError } from './graph-errors.ts';
export type { GraphErrorClass, GraphFailure, RequestSent } from './graph-errors.ts';
export type { GraphUsage, GraphAppUsage, GraphBusinessUseCaseUsage } from './graph-usage.ts';
export type { AuthorizeUrlInput, CodeExchangeResult, LongLivedToken } from './graph-oauth.ts';
export type { InstagramMe, InstagramUserProfile, SubscribedApp } from './graph-profile.ts';
export type { SendResult } from './graph-messaging.ts';
export type {
  ConversationSummary, MessageAttachment, MessageDetail, MessageSummary, Page, Party,
} from './graph-conversations.ts';
export * from './graph-send-bodies.ts';
