import type { FastifyInstance } from 'fastify';
import {
  FACEBOOK_LONG_LIVED_TOKEN_SECONDS,
  FACEBOOK_OAUTH_CODE_TTL_SECONDS,
  FACEBOOK_SHORT_LIVED_TOKEN_SECONDS,
  INSTAGRAM_GRAPH_VERSION_PATTERN,
} from '@threadline/contract';
import type { SimContext } from '../context.ts';
import { graphError } from '../platform/errors.ts';
import { mergedParams } from '../platform/forms.ts';
import type { SimFacebookToken } from './state.ts';
import { facebookError, invalidParameter } from './errors.ts';
import { appByMetaId, authenticateFacebook, issueFacebookToken } from './tokens.ts';

/**
 * `graph.facebook.com/{version}/oauth/access_token` (§7 steps 2 and 3): code → short-lived user token, and
 * `grant_type=fb_exchange_token` → long-lived user token. Both answer `{access_token, token_type, expires_in}`;
 * failures use the Graph envelope (unlike api.instagram.com's own shape).
 */

const str = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined);

const answer = (token: SimFacebookToken, now: number) => ({
  access_token: token.token,
  token_type: 'bearer',
  expires_in: token.expiresAt === null ? undefined : Math.max(0, Math.ceil((token.expiresAt - now) / 1000)),
});

export function registerFacebookTokenRoutes(app: FastifyInstance, ctx: SimContext): void {
  const { state, clock } = ctx;

  app.get('/facebook/:version/oauth/access_token', async (request) => {
    const { version } = request.params as { version: string };
    if (!INSTAGRAM_GRAPH_VERSION_PATTERN.test(version)) throw invalidParameter(`Unknown path components: /${version}`);
    const params = mergedParams(request.query, undefined);
    const simApp = appByMetaId(state, str(params['client_id']) ?? '');
    if (!simApp) throw facebookError('invalidClientId');
    if (str(params['client_secret']) !== simApp.metaAppSecret) throw facebookError('invalidClientSecret');

    if (str(params['grant_type']) === 'fb_exchange_token') {
      const value = str(params['fb_exchange_token']);
      if (!value) throw invalidParameter('Missing fb_exchange_token parameter');
      const short = authenticateFacebook(state, clock, value);
      if (short.appId !== simApp.id || short.kind === 'page') throw graphError('tokenInvalid');
      const long = issueFacebookToken(state, clock, {
        kind: 'user_long', appId: simApp.id, userId: short.userId, lifetimeSeconds: FACEBOOK_LONG_LIVED_TOKEN_SECONDS,
      });
      return answer(long, clock.now());
    }

    const value = str(params['code']);
    if (!value) throw invalidParameter('Missing code parameter');
    const code = state.data.facebook.codes.find((c) => c.code === value && c.appId === simApp.id);
    if (!code) throw facebookError('invalidCode');
    if (code.used) throw facebookError('codeUsed');
    if (clock.now() - code.createdAt > FACEBOOK_OAUTH_CODE_TTL_SECONDS * 1000) throw facebookError('codeExpired');
    if (str(params['redirect_uri']) !== code.redirectUri) throw facebookError('redirectMismatch');
    code.used = true;
    const token = issueFacebookToken(state, clock, {
      kind: 'user_short', appId: simApp.id, userId: code.userId, lifetimeSeconds: FACEBOOK_SHORT_LIVED_TOKEN_SECONDS,
    });
    return answer(token, clock.now());
  });
}
