import type { SimContext } from '../context.ts';
import { appScopedId } from '../ids.ts';
import { graphError } from '../platform/errors.ts';
import type { SimAccount, SimCustomer } from '../state/schema.ts';
import type { GraphCall } from './request.ts';
import { nonexistingField, parseFields } from './request.ts';

/** `/me` (§2): `id` is app-scoped, `user_id` is the IG_ID used in webhooks. */
export function meView(ctx: SimContext, call: GraphCall): Record<string, unknown> {
  const { account, token, params } = call;
  const variants = ctx.state.data.variants;
  const values: Record<string, (a: SimAccount) => unknown> = {
    id: () => appScopedId(token.appId, account.igId),
    user_id: (a) => a.igId,
    username: (a) => a.username,
    name: (a) => a.name,
    account_type: (a) => a.accountType,
    profile_picture_url: (a) => a.profilePictureUrl,
    followers_count: (a) => a.followersCount,
    follows_count: (a) => a.followsCount,
    media_count: (a) => a.mediaIds.length,
  };
  if (variants.meSupportsBiography) values['biography'] = (a) => a.biography;
  const fields = parseFields(params['fields'])?.map((f) => f.name) ?? ['id'];
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const read = values[field];
    if (!read) nonexistingField(field, 'User');
    out[field] = read(account);
  }
  if (!('id' in out)) out['id'] = appScopedId(token.appId, account.igId);
  return variants.meResponseShape === 'data' ? { data: [out] } : out;
}

/**
 * A customer's profile (§2): needs consent (the customer messaged the account, or sent a postback); a customer who
 * blocked the account cannot be read.
 */
export function customerProfileView(ctx: SimContext, call: GraphCall, customer: SimCustomer): Record<string, unknown> {
  if (customer.blockedAccounts.includes(call.account.igId)) throw graphError('objectNotFound');
  const conversation = ctx.state.conversationOf(call.account.igId, customer.igsid);
  if (!conversation || conversation.lastCustomerMessageAt === null) throw graphError('profileConsentRequired');
  const values: Record<string, (c: SimCustomer) => unknown> = {
    id: (c) => c.igsid,
    name: (c) => c.name,
    username: (c) => c.username,
    profile_pic: (c) => c.profilePic,
    follower_count: (c) => c.followerCount,
    is_user_follow_business: (c) => c.isUserFollowBusiness,
    is_business_follow_user: (c) => c.isBusinessFollowUser,
    is_verified_user: (c) => c.isVerifiedUser,
  };
  const fields = parseFields(call.params['fields'])?.map((f) => f.name) ?? ['name', 'username', 'profile_pic'];
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const read = values[field];
    if (!read) nonexistingField(field, 'InstagramUser');
    out[field] = read(customer);
  }
  out['id'] = customer.igsid;
  return out;
}
