import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { SimContext } from '../context.ts';
import { conversationListView, conversationView, messageView } from '../graph/conversation-views.ts';
import { customerProfileView } from '../graph/profile-views.ts';
import { baseUrlOf, parseFields, rateLimit } from '../graph/request.ts';
import { parseSubscribedFields } from '../graph/subscribed-apps.ts';
import { parseSendRequest, rateBucketOf } from '../messaging/send-request.ts';
import { send } from '../messaging/send-service.ts';
import { graphError } from '../platform/errors.ts';
import { debugTokenView } from './debug-token.ts';
import { accountsView, igAccountView, ownPageView, permissionsView, userView } from './page-views.ts';
import { facebookCall, instagramCallOf, pageCallOf, requirePermission } from './page-request.ts';
import type { FacebookCall } from './page-request.ts';

/**
 * graph.facebook.com/{version}/… as the Messenger Platform for Instagram uses it (§7): the person and their Pages
 * (user token), and with a Page token the Page, its Instagram account, subscribed_apps, the Send API, the
 * Conversations API (`?platform=instagram`), customer profiles and message lookups. Instagram tokens get 190.
 */

const nodeParams = z.object({ version: z.string(), id: z.string() });
const idOf = (request: FastifyRequest) => nodeParams.parse(request.params).id;
const urlOf = (request: FastifyRequest) => `${baseUrlOf(request)}${request.url}`;

const notFound = (id: string) =>
  graphError('objectNotFound', {
    message: `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
  });

function userOf(ctx: SimContext, call: FacebookCall) {
  const user = ctx.state.data.facebook.users.find((u) => u.id === call.token.userId);
  if (!user) throw graphError('invalidToken');
  return user;
}

export function registerFacebookGraphRoutes(app: FastifyInstance, ctx: SimContext): void {
  const P = '/facebook/:version';

  app.get(`${P}/me`, async (request) => {
    const call = facebookCall(ctx, request);
    if (call.token.pageId !== null) return ownPageView(ctx, pageCallOf(ctx, call, 'me'));
    return userView(userOf(ctx, call), call.params);
  });

  app.get(`${P}/me/accounts`, async (request) => {
    const call = facebookCall(ctx, request);
    if (call.token.pageId !== null) throw graphError('invalidParameter', { message: '(#100) Tried accessing nonexisting field (accounts) on node type (Page)' });
    requirePermission(call, 'pages_show_list');
    return accountsView(ctx, call, urlOf(request));
  });

  app.get(`${P}/me/permissions`, async (request) => {
    const call = facebookCall(ctx, request);
    if (call.token.pageId !== null) throw graphError('invalidParameter', { message: '(#100) Tried accessing nonexisting field (permissions) on node type (Page)' });
    return permissionsView(call);
  });

  app.get(`${P}/debug_token`, async (request) => debugTokenView(ctx, request));
  app.get('/facebook/debug_token', async (request) => debugTokenView(ctx, request));

  app.get(`${P}/:id`, async (request, reply) => {
    const id = idOf(request);
    const call = facebookCall(ctx, request);
    if (call.token.pageId === null) {
      if (id === call.token.userId) return userView(userOf(ctx, call), call.params);
      throw notFound(id);
    }
    const pageCall = pageCallOf(ctx, call, call.token.pageId);
    if (id === pageCall.page.id) return ownPageView(ctx, pageCall);
    const ig = instagramCallOf(ctx, pageCall);
    if (id === ig.account.igId) return igAccountView(ig.account, parseFields(call.params['fields']) ?? [{ name: 'id' }, { name: 'username' }]);
    const customer = ctx.state.customer(id);
    if (customer) {
      requirePermission(call, 'instagram_manage_messages');
      return customerProfileView(ctx, ig, customer);
    }
    const conversation = ctx.state.conversation(id);
    if (conversation && conversation.accountId === ig.account.igId) {
      requirePermission(call, 'instagram_manage_messages');
      rateLimit(ctx, reply, ig.account.igId, 'conversations');
      return conversationView(ctx, ig, conversation, urlOf(request));
    }
    const message = ctx.state.message(id);
    if (message && ctx.state.conversation(message.conversationId)?.accountId === ig.account.igId) {
      requirePermission(call, 'instagram_manage_messages');
      rateLimit(ctx, reply, ig.account.igId, 'conversations');
      return messageView(ctx, ig, message);
    }
    throw notFound(id);
  });

  app.get(`${P}/:id/conversations`, async (request, reply) => {
    const call = pageCallOf(ctx, facebookCall(ctx, request), idOf(request));
    requirePermission(call, 'instagram_manage_messages');
    // Without platform=instagram Meta lists the Page's Messenger threads, which the simulator has none of.
    if (call.params['platform'] !== 'instagram') return { data: [] };
    const ig = instagramCallOf(ctx, call);
    rateLimit(ctx, reply, ig.account.igId, 'conversations');
    return conversationListView(ctx, ig, urlOf(request));
  });

  app.post(`${P}/:id/messages`, async (request, reply) => {
    const call = pageCallOf(ctx, facebookCall(ctx, request), idOf(request));
    requirePermission(call, 'instagram_manage_messages');
    const ig = instagramCallOf(ctx, call);
    rateLimit(ctx, reply, ig.account.igId, rateBucketOf(call.params));
    return send(ctx, ig.token, parseSendRequest(call.params, ctx.state.data.variants), call.params);
  });

  const subscriptions = () => ctx.state.data.facebook.pageSubscriptions;
  app.post(`${P}/:id/subscribed_apps`, async (request) => {
    const call = pageCallOf(ctx, facebookCall(ctx, request), idOf(request));
    requirePermission(call, 'pages_manage_metadata');
    const fields = parseSubscribedFields(ctx, call.params['subscribed_fields']);
    const others = subscriptions().filter((s) => !(s.appId === call.token.appId && s.pageId === call.page.id));
    ctx.state.data.facebook.pageSubscriptions = [...others, { appId: call.token.appId, pageId: call.page.id, fields, createdAt: ctx.clock.now() }];
    return { success: true };
  });
  app.get(`${P}/:id/subscribed_apps`, async (request) => {
    const call = pageCallOf(ctx, facebookCall(ctx, request), idOf(request));
    const data = subscriptions()
      .filter((s) => s.pageId === call.page.id && s.appId === call.token.appId)
      .map((s) => ({ id: ctx.state.app(s.appId)?.metaAppId ?? s.appId, name: ctx.state.app(s.appId)?.name ?? '', subscribed_fields: s.fields }));
    return { data };
  });
  app.delete(`${P}/:id/subscribed_apps`, async (request) => {
    const call = pageCallOf(ctx, facebookCall(ctx, request), idOf(request));
    ctx.state.data.facebook.pageSubscriptions = subscriptions().filter((s) => !(s.appId === call.token.appId && s.pageId === call.page.id));
    return { success: true };
  });
}
