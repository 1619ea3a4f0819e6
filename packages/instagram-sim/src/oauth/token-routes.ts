import type { FastifyInstance } from 'fastify';
import {
  INSTAGRAM_OAUTH_CODE_TTL_SECONDS,
  INSTAGRAM_REFRESH_MIN_AGE_SECONDS,
} from '@threadline/contract';
import type { SimContext } from '../context.ts';
import { appScopedId } from '../ids.ts';
import { graphError, invalidParameter, OAuthEndpointError } from '../platform/errors.ts';
import { mergedParams } from '../platform/forms.ts';
import { authenticate, expiresInSeconds, issueToken } from './tokens.ts';

/** Code → short-lived token (api.instagram.com), long-lived exchange and refresh (graph.instagram.com) (§1.2–1.4). */

const str = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined);

export function registerTokenRoutes(app: FastifyInstance, ctx: SimContext): void {
  const { state, clock } = ctx;

  app.post('/oauth/access_token', async (request, reply) => {
    const params = mergedParams(undefined, request.body);
    const simApp = state.app(str(params['client_id']) ?? '');
    if (!simApp) throw new OAuthEndpointError('Invalid platform app');
    if (str(params['client_secret']) !== simApp.secret) throw new OAuthEndpointError('Error validating client secret.');
    if (str(params['grant_type']) !== 'authorization_code') throw new OAuthEndpointError('Unsupported grant_type');
    const code = state.data.codes.find((c) => c.code === str(params['code']) && c.appId === simApp.id);
    if (!code || code.used) throw new OAuthEndpointError('Matching code was not found or was already used');
    if (clock.now() - code.createdAt > INSTAGRAM_OAUTH_CODE_TTL_SECONDS * 1000)
      throw new OAuthEndpointError('This authorization code has expired');
    if (str(params['redirect_uri']) !== code.redirectUri)
      throw new OAuthEndpointError('Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request');
    code.used = true;
    const token = issueToken(state, clock, { appId: simApp.id, accountId: code.accountId, scopes: code.scopes, kind: 'short' });
    const variants = state.data.variants;
    const userId = variants.tokenUserId === 'ig-id' ? code.accountId : appScopedId(simApp.id, code.accountId);
    const body = { access_token: token.token, user_id: userId, permissions: code.scopes.join(',') };
    let json = JSON.stringify(variants.tokenResponseShape === 'data' ? { data: [body] } : body);
    // The Basic-Display-era shape: user_id as a bare number bigger than 2^53, which JSON.parse corrupts (§1.2).
    if (variants.tokenUserIdType === 'number') json = json.replace(`"user_id":"${userId}"`, `"user_id":${userId}`);
    return reply.type('application/json; charset=utf-8').send(json);
  });

  const exchange = async (request: { query: unknown }) => {
    const params = mergedParams(request.query, undefined);
    if (str(params['grant_type']) !== 'ig_exchange_token') throw invalidParameter('Param grant_type must be ig_exchange_token');
    const value = str(params['access_token']);
    if (!value) throw graphError('missingToken');
    const token = authenticate(state, clock, value);
    if (str(params['client_secret']) !== state.app(token.appId)?.secret) throw graphError('invalidClientSecret');
    if (token.kind !== 'short') throw invalidParameter('Only a short-lived access token can be exchanged');
    const long = issueToken(state, clock, { appId: token.appId, accountId: token.accountId, scopes: token.scopes, kind: 'long' });
    return { access_token: long.token, token_type: 'bearer', expires_in: expiresInSeconds(long, clock) };
  };
  app.get('/access_token', exchange);
  app.get('/:version/access_token', exchange);

  const refresh = async (request: { query: unknown }) => {
    const params = mergedParams(request.query, undefined);
    if (str(params['grant_type']) !== 'ig_refresh_token') throw invalidParameter('Param grant_type must be ig_refresh_token');
    const value = str(params['access_token']);
    if (!value) throw graphError('missingToken');
    const token = authenticate(state, clock, value);
    if (token.kind !== 'long') throw invalidParameter('Only a long-lived access token can be refreshed');
    if (clock.now() - token.issuedAt < INSTAGRAM_REFRESH_MIN_AGE_SECONDS * 1000) throw graphError('tokenTooNewToRefresh');
    if (!token.scopes.includes('instagram_business_basic'))
      throw graphError('permissionDenied', { message: '(#10) Refreshing a token requires instagram_business_basic' });
    const fresh = issueToken(state, clock, { appId: token.appId, accountId: token.accountId, scopes: token.scopes, kind: 'long' });
    const out: Record<string, unknown> = { access_token: fresh.token, token_type: 'bearer', expires_in: expiresInSeconds(fresh, clock) };
    if (state.data.variants.refreshIncludesPermissions) out['permissions'] = fresh.scopes.join(',');
    return out;
  };
  app.get('/refresh_access_token', refresh);
  app.get('/:version/refresh_access_token', refresh);
}
