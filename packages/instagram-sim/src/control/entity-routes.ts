import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { SimContext } from '../context.ts';
import { expiresInSeconds, issueToken, revokeTokens, TOKEN_REVOCATION_SUBCODES } from '../oauth/tokens.ts';
import { ControlError } from '../platform/errors.ts';
import { verifyCallback } from '../webhooks/handshake.ts';
import {
  createAccount, createApp, createCustomer, createIgUser, notFound, requireAccount, requireApp, requireCustomer,
} from './entity-service.ts';
import {
  blockSchema, createAccountSchema, createAppSchema, createCustomerSchema, createIgUserSchema, issueTokenSchema,
  revokeSchema, subscribeSchema, updateAccountSchema, updateAppSchema, webhookConfigSchema,
} from './schemas.ts';

const idParams = z.object({ id: z.string() });

/** Control API: the simulated world (apps, Instagram users, accounts, customers, tokens, subscriptions). */
export function registerEntityRoutes(app: FastifyInstance, ctx: SimContext): void {
  const { state, clock } = ctx;
  const handshake = (appId: string, url: string, token: string) =>
    verifyCallback({ state, clock, timeoutMs: state.data.variants.webhookTimeoutMs }, appId, url, token);

  app.post('/_sim/apps', async (request, reply) => {
    const input = createAppSchema.parse(request.body ?? {});
    const created = createApp(ctx, input);
    if (input.webhook) {
      const result = await handshake(created.id, input.webhook.callbackUrl, input.webhook.verifyToken);
      if (!result.ok) {
        state.data.apps = state.data.apps.filter((a) => a.id !== created.id);
        throw new ControlError(422, 'sim.webhook_verification_failed', result.error ?? 'verification failed');
      }
      created.webhook = { ...input.webhook, verifiedAt: clock.now() };
    }
    return reply.code(201).send(created);
  });
  app.get('/_sim/apps', async () => state.data.apps);
  app.get('/_sim/apps/:id', async (request) => requireApp(ctx, idParams.parse(request.params).id));
  app.patch('/_sim/apps/:id', async (request) => {
    const target = requireApp(ctx, idParams.parse(request.params).id);
    const patch = updateAppSchema.parse(request.body ?? {});
    Object.assign(target, Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)));
    return target;
  });

  /** Saving a callback URL runs the verification handshake, as the dashboard does (§3.1). */
  app.put('/_sim/apps/:id/webhook', async (request) => {
    const target = requireApp(ctx, idParams.parse(request.params).id);
    const input = webhookConfigSchema.parse(request.body);
    const result = await handshake(target.id, input.callbackUrl, input.verifyToken);
    if (!result.ok) throw new ControlError(422, 'sim.webhook_verification_failed', result.error ?? 'verification failed');
    target.webhook = { callbackUrl: input.callbackUrl, verifyToken: input.verifyToken, verifiedAt: clock.now() };
    if (input.fields) target.webhookFields = input.fields;
    return target;
  });
  app.delete('/_sim/apps/:id/webhook', async (request) => {
    const target = requireApp(ctx, idParams.parse(request.params).id);
    target.webhook = null;
    return target;
  });

  app.post('/_sim/ig-users', async (request, reply) =>
    reply.code(201).send(createIgUser(ctx, createIgUserSchema.parse(request.body ?? {}))),
  );
  app.get('/_sim/ig-users', async () => state.data.igUsers);
  /** Who is logged in on the authorize page. */
  app.put('/_sim/session', async (request) => {
    const { igUserId } = z.object({ igUserId: z.string() }).parse(request.body);
    if (!state.data.igUsers.some((u) => u.id === igUserId)) throw notFound('ig_user', igUserId);
    state.data.sessionUserId = igUserId;
    return { igUserId };
  });

  app.post('/_sim/accounts', async (request, reply) =>
    reply.code(201).send(createAccount(ctx, createAccountSchema.parse(request.body ?? {}))),
  );
  app.get('/_sim/accounts', async () => state.data.accounts);
  app.get('/_sim/accounts/:id', async (request) => requireAccount(ctx, idParams.parse(request.params).id));
  app.patch('/_sim/accounts/:id', async (request) => {
    const target = requireAccount(ctx, idParams.parse(request.params).id);
    const patch = updateAccountSchema.parse(request.body ?? {});
    Object.assign(target, Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)));
    return target;
  });
  /** Invalidates the account's tokens: they answer 190 with this subcode (password changed, app removed, …). */
  app.post('/_sim/accounts/:id/revoke-tokens', async (request) => {
    const target = requireAccount(ctx, idParams.parse(request.params).id);
    const input = revokeSchema.parse(request.body ?? {});
    if (!TOKEN_REVOCATION_SUBCODES.includes(input.subcode))
      throw new ControlError(400, 'sim.invalid_request', `subcode must be one of ${TOKEN_REVOCATION_SUBCODES.join(', ')}`);
    return { revoked: revokeTokens(state, target.igId, input.subcode, input.appId) };
  });

  app.post('/_sim/customers', async (request, reply) =>
    reply.code(201).send(createCustomer(ctx, createCustomerSchema.parse(request.body ?? {}))),
  );
  app.get('/_sim/customers', async () => state.data.customers);
  app.post('/_sim/customers/:id/block', async (request) => {
    const customer = requireCustomer(ctx, idParams.parse(request.params).id);
    const input = blockSchema.parse(request.body);
    requireAccount(ctx, input.accountId);
    const others = customer.blockedAccounts.filter((id) => id !== input.accountId);
    customer.blockedAccounts = input.blocked ? [...others, input.accountId] : others;
    return customer;
  });

  /** A token without the OAuth dance, for tests that are not about OAuth. */
  app.post('/_sim/tokens', async (request, reply) => {
    const input = issueTokenSchema.parse(request.body);
    requireApp(ctx, input.appId);
    requireAccount(ctx, input.accountId);
    const token = issueToken(state, clock, input);
    return reply.code(201).send({
      access_token: token.token, token_type: 'bearer', kind: token.kind, expires_in: expiresInSeconds(token, clock),
    });
  });
  /** Subscribes an account to an app without a Graph call (the Graph call is `POST /{ver}/me/subscribed_apps`). */
  app.post('/_sim/subscriptions', async (request, reply) => {
    const input = subscribeSchema.parse(request.body);
    requireApp(ctx, input.appId);
    requireAccount(ctx, input.accountId);
    state.data.subscriptions = state.data.subscriptions.filter((s) => !(s.appId === input.appId && s.accountId === input.accountId));
    const subscription = { ...input, createdAt: clock.now() };
    state.data.subscriptions.push(subscription);
    return reply.code(201).send(subscription);
  });
  app.get('/_sim/subscriptions', async () => state.data.subscriptions);
}
