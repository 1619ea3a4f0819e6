import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DEFAULT_FACEBOOK_OAUTH_SCOPES } from '@threadline/contract';
import type { SimContext } from '../context.ts';
import { requireAccount, requireApp } from '../control/entity-service.ts';
import { newIgUserId } from '../ids.ts';
import { ControlError } from '../platform/errors.ts';
import {
  createFacebookUserSchema, createPageSchema, issuePageTokenSchema, pageSubscribeSchema, revokeFacebookSchema, updatePageSchema,
} from './control-schemas.ts';
import type { SimFacebookUser, SimPage } from './state.ts';
import { FACEBOOK_REVOCATION_SUBCODES, issueFacebookToken, pageById, revokeFacebookTokens } from './tokens.ts';

/** Control API for the Facebook side: people, Pages (and their Instagram link), Page tokens, revocations. */

const idParams = z.object({ id: z.string() });
const notFound = (kind: string, id: string) => new ControlError(404, `sim.${kind}_not_found`, `No ${kind} ${id}`);

export function registerFacebookControlRoutes(app: FastifyInstance, ctx: SimContext): void {
  const fb = () => ctx.state.data.facebook;
  const requireUser = (id: string): SimFacebookUser => {
    const user = fb().users.find((u) => u.id === id);
    if (!user) throw notFound('facebook_user', id);
    return user;
  };
  const requirePage = (id: string): SimPage => {
    const page = pageById(ctx.state, id);
    if (!page) throw notFound('page', id);
    return page;
  };
  const checkLinks = (page: Pick<SimPage, 'managers' | 'igAccountId'>) => {
    page.managers.forEach(requireUser);
    if (page.igAccountId !== null) requireAccount(ctx, page.igAccountId);
  };
  const checkSubcode = (subcode: number) => {
    if (!FACEBOOK_REVOCATION_SUBCODES.includes(subcode))
      throw new ControlError(400, 'sim.invalid_request', `subcode must be one of ${FACEBOOK_REVOCATION_SUBCODES.join(', ')}`);
  };

  app.post('/_sim/facebook/users', async (request, reply) => {
    const input = createFacebookUserSchema.parse(request.body ?? {});
    const id = input.id ?? `10${newIgUserId()}`;
    if (fb().users.some((u) => u.id === id)) throw new ControlError(409, 'sim.facebook_user_exists', `facebook user ${id} exists`);
    const user = { id, name: input.name ?? `Person ${id.slice(-4)}` };
    fb().users.push(user);
    return reply.code(201).send(user);
  });
  app.get('/_sim/facebook/users', async () => fb().users);
  /** Who is logged in on the Login dialog. */
  app.put('/_sim/facebook/session', async (request) => {
    const { userId } = z.object({ userId: z.string() }).parse(request.body);
    fb().sessionUserId = requireUser(userId).id;
    return { userId };
  });
  app.post('/_sim/facebook/users/:id/revoke-tokens', async (request) => {
    const user = requireUser(idParams.parse(request.params).id);
    const input = revokeFacebookSchema.parse(request.body ?? {});
    checkSubcode(input.subcode);
    return { revoked: revokeFacebookTokens(ctx.state, { userId: user.id, ...(input.appId ? { appId: input.appId } : {}) }, input.subcode) };
  });

  app.post('/_sim/facebook/pages', async (request, reply) => {
    const input = createPageSchema.parse(request.body ?? {});
    const id = input.id ?? `1${newIgUserId()}${newIgUserId().slice(0, 4)}`;
    if (pageById(ctx.state, id)) throw new ControlError(409, 'sim.page_exists', `page ${id} exists`);
    const page: SimPage = { id, name: input.name ?? `Page ${id.slice(-4)}`, managers: input.managers, igAccountId: input.igAccountId };
    checkLinks(page);
    fb().pages.push(page);
    return reply.code(201).send(page);
  });
  app.get('/_sim/facebook/pages', async () => fb().pages);
  /** Renames the Page, changes who manages it, or links / unlinks its Instagram account (`igAccountId: null`). */
  app.patch('/_sim/facebook/pages/:id', async (request) => {
    const page = requirePage(idParams.parse(request.params).id);
    const patch = updatePageSchema.parse(request.body ?? {});
    const next = { ...page, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) };
    checkLinks(next);
    Object.assign(page, next);
    return page;
  });
  app.post('/_sim/facebook/pages/:id/revoke-tokens', async (request) => {
    const page = requirePage(idParams.parse(request.params).id);
    const input = revokeFacebookSchema.parse(request.body ?? {});
    checkSubcode(input.subcode);
    return { revoked: revokeFacebookTokens(ctx.state, { pageId: page.id, ...(input.appId ? { appId: input.appId } : {}) }, input.subcode) };
  });

  app.post('/_sim/facebook/page-tokens', async (request, reply) => {
    const input = issuePageTokenSchema.parse(request.body);
    requireApp(ctx, input.appId);
    const user = requireUser(input.userId);
    const page = requirePage(input.pageId);
    if (!page.managers.includes(user.id)) throw new ControlError(409, 'sim.not_a_manager', `${user.id} does not manage page ${page.id}`);
    const granted = [...new Set(['public_profile', ...(input.permissions ?? DEFAULT_FACEBOOK_OAUTH_SCOPES)])];
    const previous = fb().grants.find((g) => g.appId === input.appId && g.userId === user.id);
    const grant = { appId: input.appId, userId: user.id, granted, declined: [], pageIds: [...new Set([...(previous?.pageIds ?? []), page.id])] };
    fb().grants = [...fb().grants.filter((g) => g !== previous), grant];
    const token = issueFacebookToken(ctx.state, ctx.clock, { kind: 'page', appId: input.appId, userId: user.id, pageId: page.id, lifetimeSeconds: null });
    return reply.code(201).send({ access_token: token.token, page_id: page.id });
  });

  app.get('/_sim/facebook/page-subscriptions', async () => fb().pageSubscriptions);
  /** Subscribes a Page to an app without a Graph call (the Graph call is `POST /{page-id}/subscribed_apps`). */
  app.post('/_sim/facebook/page-subscriptions', async (request, reply) => {
    const input = pageSubscribeSchema.parse(request.body);
    requireApp(ctx, input.appId);
    requirePage(input.pageId);
    const subscription = { ...input, createdAt: ctx.clock.now() };
    fb().pageSubscriptions = [...fb().pageSubscriptions.filter((s) => !(s.appId === input.appId && s.pageId === input.pageId)), subscription];
    return reply.code(201).send(subscription);
  });
}
