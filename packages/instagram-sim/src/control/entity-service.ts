import type { SimContext } from '../context.ts';
import { newAppId, newIgId, newIgsid, newIgUserId, newMediaId, newSecret } from '../ids.ts';
import { ControlError } from '../platform/errors.ts';
import type { SimAccount, SimApp, SimCustomer, SimIgUser } from '../state/schema.ts';
import type { z } from 'zod';
import type { createAccountSchema, createAppSchema, createCustomerSchema, createIgUserSchema } from './schemas.ts';

/** Creating the simulated world: apps, Instagram users, their professional accounts, customers. */

export function notFound(kind: string, id: string): ControlError {
  return new ControlError(404, `sim.${kind}_not_found`, `No ${kind} ${id}`);
}

function unique<T>(list: T[], pick: (item: T) => string, id: string, kind: string): void {
  if (list.some((item) => pick(item) === id)) throw new ControlError(409, `sim.${kind}_exists`, `${kind} ${id} exists`);
}

export function createApp(ctx: SimContext, input: z.output<typeof createAppSchema>): SimApp {
  const id = input.id ?? newAppId();
  unique(ctx.state.data.apps, (a) => a.id, id, 'app');
  const slash = ctx.state.data.variants.dashboardAddsTrailingSlash;
  const app: SimApp = {
    id,
    name: input.name,
    secret: input.secret ?? newSecret(),
    metaAppId: input.metaAppId ?? newAppId(),
    metaAppSecret: input.metaAppSecret ?? newSecret(),
    redirectUris: input.redirectUris.map((u) => (slash && !u.endsWith('/') ? `${u}/` : u)),
    live: input.live,
    humanAgent: input.humanAgent,
    webhookFields: input.webhookFields,
    webhook: null,
    createdAt: ctx.clock.now(),
  };
  ctx.state.data.apps.push(app);
  return app;
}

export function createIgUser(ctx: SimContext, input: z.output<typeof createIgUserSchema>): SimIgUser {
  const id = input.id ?? newIgUserId();
  unique(ctx.state.data.igUsers, (u) => u.id, id, 'ig_user');
  const user = { id, username: input.username ?? `user_${id.slice(-6)}` };
  ctx.state.data.igUsers.push(user);
  return user;
}

export function createAccount(ctx: SimContext, input: z.output<typeof createAccountSchema>): SimAccount {
  const igId = input.igId ?? newIgId();
  unique(ctx.state.data.accounts, (a) => a.igId, igId, 'account');
  const owner = input.igUserId
    ? ctx.state.data.igUsers.find((u) => u.id === input.igUserId)
    : createIgUser(ctx, { username: input.username ? `${input.username}_owner` : undefined });
  if (!owner) throw notFound('ig_user', input.igUserId ?? '');
  const username = input.username ?? `shop_${igId.slice(-5)}`;
  const account: SimAccount = {
    igId,
    igUserId: owner.id,
    username,
    name: input.name ?? username,
    accountType: input.accountType,
    profilePictureUrl: input.profilePictureUrl ?? `https://scontent.cdninstagram.com/sim/${igId}.jpg`,
    biography: input.biography,
    followersCount: input.followersCount,
    followsCount: input.followsCount,
    mediaIds: Array.from({ length: input.mediaCount }, newMediaId),
    messagingAccess: 'enabled',
  };
  ctx.state.data.accounts.push(account);
  return account;
}

export function createCustomer(ctx: SimContext, input: z.output<typeof createCustomerSchema>): SimCustomer {
  const igsid = input.igsid ?? newIgsid();
  unique(ctx.state.data.customers, (c) => c.igsid, igsid, 'customer');
  const username = input.username ?? `customer_${igsid.slice(-5)}`;
  const customer: SimCustomer = {
    igsid,
    username,
    name: input.name ?? username,
    profilePic: input.profilePic ?? `https://scontent.cdninstagram.com/sim/${igsid}.jpg`,
    followerCount: input.followerCount,
    isVerifiedUser: input.isVerifiedUser,
    isUserFollowBusiness: input.isUserFollowBusiness,
    isBusinessFollowUser: input.isBusinessFollowUser,
    blockedAccounts: [],
  };
  ctx.state.data.customers.push(customer);
  return customer;
}

export function requireApp(ctx: SimContext, id: string): SimApp {
  const app = ctx.state.app(id);
  if (!app) throw notFound('app', id);
  return app;
}
export function requireAccount(ctx: SimContext, igId: string): SimAccount {
  const account = ctx.state.account(igId);
  if (!account) throw notFound('account', igId);
  return account;
}
export function requireCustomer(ctx: SimContext, igsid: string): SimCustomer {
  const customer = ctx.state.customer(igsid);
  if (!customer) throw notFound('customer', igsid);
  return customer;
}
