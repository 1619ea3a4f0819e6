import type { FastifyRequest } from 'fastify';
import { INSTAGRAM_GRAPH_VERSION_PATTERN } from '@threadline/contract';
import type { SimContext } from '../context.ts';
import type { GraphCall } from '../graph/request.ts';
import type { JsonObject } from '../messaging/json.ts';
import { tokenFromRequest } from '../oauth/tokens.ts';
import { graphError, invalidParameter } from '../platform/errors.ts';
import { mergedParams } from '../platform/forms.ts';
import type { SimFacebookToken, SimGrant, SimPage } from './state.ts';
import { facebookError, permissionMissing } from './errors.ts';
import { authenticateFacebook, grantOf, pageById } from './tokens.ts';

/** One graph.facebook.com call: the merged parameters and the (user or Page) token it was made with. */
export interface FacebookCall {
  params: JsonObject;
  token: SimFacebookToken;
  grant: SimGrant | undefined;
}

/** A call made with a Page token, with the Page it acts for. */
export interface PageCall extends FacebookCall {
  page: SimPage;
}

export function facebookCall(ctx: SimContext, request: FastifyRequest): FacebookCall {
  const version = (request.params as { version?: string }).version ?? '';
  if (!INSTAGRAM_GRAPH_VERSION_PATTERN.test(version)) throw invalidParameter(`Unknown path components: /${version}`);
  const params = mergedParams(request.query, request.body);
  const value = tokenFromRequest(request.headers, params);
  if (value === null) throw graphError('missingToken');
  const token = authenticateFacebook(ctx.state, ctx.clock, value);
  return { params, token, grant: grantOf(ctx.state, token.appId, token.userId) };
}

/** Page edges need a Page token for the Page the path names (`me` or its id): 210 otherwise, as Meta answers. */
export function pageCallOf(ctx: SimContext, call: FacebookCall, id: string): PageCall {
  const page = call.token.pageId === null ? undefined : pageById(ctx.state, call.token.pageId);
  if (!page) throw facebookError('pageTokenRequired');
  if (id !== 'me' && id !== page.id) {
    throw graphError('objectNotFound', {
      message: `Unsupported request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
    });
  }
  return { ...call, page };
}

export function requirePermission(call: FacebookCall, permission: string): void {
  if (!call.grant?.granted.includes(permission)) throw permissionMissing(permission);
}

/**
 * The Instagram-side view of a Page call: the shared Instagram views, send service and rate limits work on the Page's
 * linked account. Facebook's `instagram_manage_messages` is what Instagram Login calls
 * `instagram_business_manage_messages`, so the shared send service sees the latter.
 */
export function instagramCallOf(ctx: SimContext, call: PageCall): GraphCall {
  const account = call.page.igAccountId ? ctx.state.account(call.page.igAccountId) : undefined;
  if (!account) throw facebookError('noInstagramAccount');
  const granted = call.grant?.granted ?? [];
  return {
    params: call.params,
    account,
    token: {
      token: call.token.token,
      kind: 'long',
      appId: call.token.appId,
      accountId: account.igId,
      scopes: granted.includes('instagram_manage_messages') ? [...granted, 'instagram_business_manage_messages'] : granted,
      issuedAt: call.token.issuedAt,
      expiresAt: call.token.expiresAt ?? Number.MAX_SAFE_INTEGER,
      revokedSubcode: null,
    },
  };
}
