import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { SimContext } from '../context.ts';
import { rateBucketOf, parseSendRequest } from '../messaging/send-request.ts';
import { send } from '../messaging/send-service.ts';
import { graphError } from '../platform/errors.ts';
import { conversationListView, conversationView, messageView } from './conversation-views.ts';
import { customerProfileView, meView } from './profile-views.ts';
import { baseUrlOf, graphCall, ownAccountPath, rateLimit } from './request.ts';
import { listSubscriptions, subscribe, unsubscribe } from './subscribed-apps.ts';

/** graph.instagram.com/{version}/…: profile, Send API, Conversations API, subscribed_apps (§2, §3.4, §4, §5). */

const nodeParamsSchema = z.object({ version: z.string(), id: z.string().default('') });
const paramsOf = (request: FastifyRequest) => nodeParamsSchema.parse(request.params);
const urlOf = (request: FastifyRequest): string => `${baseUrlOf(request)}${request.url}`;

export function registerGraphRoutes(app: FastifyInstance, ctx: SimContext): void {
  app.get('/:version/me', async (request) => {
    const call = graphCall(ctx, request, paramsOf(request).version);
    return meView(ctx, call);
  });

  app.get('/:version/:id', async (request, reply) => {
    const { version, id } = paramsOf(request);
    const call = graphCall(ctx, request, version);
    if (id === call.account.igId) return meView(ctx, call);
    const customer = ctx.state.customer(id);
    if (customer) return customerProfileView(ctx, call, customer);
    const conversation = ctx.state.conversation(id);
    if (conversation && conversation.accountId === call.account.igId) {
      rateLimit(ctx, reply, call.account.igId, 'conversations');
      return conversationView(ctx, call, conversation, urlOf(request));
    }
    const message = ctx.state.message(id);
    if (message && ctx.state.conversation(message.conversationId)?.accountId === call.account.igId) {
      rateLimit(ctx, reply, call.account.igId, 'conversations');
      return messageView(ctx, call, message);
    }
    throw graphError('objectNotFound', {
      message: `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
    });
  });

  app.get('/:version/:id/conversations', async (request, reply) => {
    const { version, id } = paramsOf(request);
    const call = graphCall(ctx, request, version);
    ownAccountPath(call, id, 'GET', 'conversations');
    rateLimit(ctx, reply, call.account.igId, 'conversations');
    return conversationListView(ctx, call, urlOf(request));
  });

  app.post('/:version/:id/messages', async (request, reply) => {
    const { version, id } = paramsOf(request);
    const call = graphCall(ctx, request, version);
    ownAccountPath(call, id, 'POST', 'messages');
    rateLimit(ctx, reply, call.account.igId, rateBucketOf(call.params));
    const parsed = parseSendRequest(call.params, ctx.state.data.variants);
    return send(ctx, call.token, parsed, call.params);
  });

  app.post('/:version/:id/subscribed_apps', async (request) => {
    const { version, id } = paramsOf(request);
    const call = graphCall(ctx, request, version);
    ownAccountPath(call, id, 'POST', 'subscribed_apps');
    return subscribe(ctx, call);
  });
  app.get('/:version/:id/subscribed_apps', async (request) => {
    const { version, id } = paramsOf(request);
    const call = graphCall(ctx, request, version);
    ownAccountPath(call, id, 'GET', 'subscribed_apps');
    return listSubscriptions(ctx, call);
  });
  app.delete('/:version/:id/subscribed_apps', async (request) => {
    const { version, id } = paramsOf(request);
    const call = graphCall(ctx, request, version);
    ownAccountPath(call, id, 'DELETE', 'subscribed_apps');
    return unsubscribe(ctx, call);
  });
}
