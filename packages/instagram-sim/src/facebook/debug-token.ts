import type { FastifyRequest } from 'fastify';
import { tokenFromRequest } from '../oauth/tokens.ts';
import { GraphError, graphError, invalidParameter } from '../platform/errors.ts';
import { mergedParams } from '../platform/forms.ts';
import type { SimContext } from '../context.ts';
import { authenticateFacebook, grantOf } from './tokens.ts';

/**
 * `GET /debug_token?input_token=…` (access_token: the app token `{app-id}|{app-secret}`, or any valid token of the
 * app). A bad input token is not an HTTP error: the answer says `is_valid: false` and carries the 190 it would get.
 */
export function debugTokenView(ctx: SimContext, request: FastifyRequest) {
  const params = mergedParams(request.query, undefined);
  const caller = tokenFromRequest(request.headers, params);
  if (caller === null) throw graphError('missingToken');
  const [appId, appSecret] = caller.split('|');
  const app = appSecret === undefined ? undefined : ctx.state.data.apps.find((a) => a.metaAppId === appId && a.metaAppSecret === appSecret);
  const callerApp = app ?? ctx.state.app(authenticateFacebook(ctx.state, ctx.clock, caller).appId);
  const input = typeof params['input_token'] === 'string' ? params['input_token'] : '';
  if (input === '') throw invalidParameter('The parameter input_token is required');
  const stored = ctx.state.data.facebook.tokens.find((t) => t.token === input);
  const base = { app_id: callerApp?.metaAppId ?? '', application: callerApp?.name ?? '' };
  try {
    const token = authenticateFacebook(ctx.state, ctx.clock, input);
    const grant = grantOf(ctx.state, token.appId, token.userId);
    return {
      data: {
        ...base,
        type: token.kind === 'page' ? 'PAGE' : 'USER',
        is_valid: true,
        issued_at: Math.floor(token.issuedAt / 1000),
        expires_at: token.expiresAt === null ? 0 : Math.floor(token.expiresAt / 1000),
        scopes: grant?.granted ?? [],
        user_id: token.userId,
        ...(token.pageId === null ? {} : { profile_id: token.pageId }),
      },
    };
  } catch (error) {
    if (!(error instanceof GraphError)) throw error;
    return {
      data: {
        ...base,
        type: stored?.kind === 'page' ? 'PAGE' : 'USER',
        is_valid: false,
        error: { code: error.body.error.code, message: error.body.error.message, subcode: error.body.error.error_subcode },
        scopes: [],
      },
    };
  }
}
