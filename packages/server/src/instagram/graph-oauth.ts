import { z } from 'zod';
import { GraphClientConfigError } from './graph-errors.ts';
import { flatOrWrapped, graphIdSchema, permissionsSchema } from './graph-schemas.ts';
import { endpoint, parseAnswer } from './graph-transport.ts';
import type { Transport } from './graph-transport.ts';
import type { GraphUsage } from './graph-usage.ts';

/**
 * Instagram Login (platform reference §1): the authorize URL, code → short-lived token, short → long-lived token,
 * refresh. The two token GETs must carry the token and the app secret in the query (Meta accepts nothing else
 * there); the transport never logs a query, and no error repeats a URL.
 */

export interface OAuthSettings {
  authorizeUrl: string;
  apiUrl: string;
  graphUrl: string;
  clientId: string | undefined;
  clientSecret: string | undefined;
}

export interface AuthorizeUrlInput {
  redirectUri: string;
  scopes: readonly string[];
  /** The CSRF state, returned unchanged on the redirect. */
  state: string;
}

export interface CodeExchangeResult {
  accessToken: string;
  /** The id Meta returns with the token: app-scoped per the docs (key accounts by `/me.user_id` instead). */
  userId: string | null;
  permissions: string[];
  usage: GraphUsage;
}

export interface LongLivedToken {
  accessToken: string;
  /** Seconds, as Meta sent it. */
  expiresIn: number;
  /** When the token expires, from the client's clock at the time of the answer. */
  expiresAt: Date;
  /** Present on refresh answers that carry it. */
  permissions: string[] | null;
  usage: GraphUsage;
}

const shortTokenSchema = flatOrWrapped(
  z.object({
    access_token: z.string().min(1),
    user_id: graphIdSchema.nullable().optional(),
    permissions: permissionsSchema.optional(),
  }),
);
const longTokenSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.number().int().nonnegative(),
  permissions: permissionsSchema.optional(),
});

/** The code arrives as `…?code=<code>#_`; the `#_` is not part of it (§1.1). */
export function stripCodeFragment(code: string): string {
  return code.trim().replace(/#_?$/, '');
}

export function createOAuthCalls(transport: Transport, settings: OAuthSettings) {
  const required = (value: string | undefined, name: string): string => {
    if (value === undefined || value === '') throw new GraphClientConfigError(`The Instagram ${name} is not configured`);
    return value;
  };

  const longLived = (body: z.output<typeof longTokenSchema>, usage: GraphUsage): LongLivedToken => ({
    accessToken: body.access_token,
    expiresIn: body.expires_in,
    expiresAt: new Date(Date.now() + body.expires_in * 1000),
    permissions: body.permissions ?? null,
    usage,
  });

  return {
    /**
     * The consent page URL: exactly the documented required parameters (client_id, redirect_uri,
     * response_type=code, comma-separated scope) plus state. `enable_fb_login`/`force_authentication` are left
     * out on purpose: they only change the page's look, and their spelling differs between doc versions.
     */
    buildAuthorizeUrl(input: AuthorizeUrlInput): string {
      return endpoint(settings.authorizeUrl, '', {
        client_id: required(settings.clientId, 'app id'),
        redirect_uri: input.redirectUri,
        response_type: 'code',
        scope: input.scopes.join(','),
        state: input.state,
      }).toString();
    },

    /** Code → short-lived (1 hour) token. Accepts the flat and the `data[]` answers; a numeric user_id stays exact. */
    async exchangeCode(input: { code: string; redirectUri: string }): Promise<CodeExchangeResult> {
      const form = new URLSearchParams({
        client_id: required(settings.clientId, 'app id'),
        client_secret: required(settings.clientSecret, 'app secret'),
        grant_type: 'authorization_code',
        redirect_uri: input.redirectUri,
        code: stripCodeFragment(input.code),
      });
      // A code is single use: a lost answer may have consumed it, so this is not idempotent.
      const answer = await transport.call({
        method: 'POST',
        url: endpoint(settings.apiUrl, '/oauth/access_token'),
        form,
        idempotent: false,
      });
      const body = parseAnswer(shortTokenSchema, answer);
      return {
        accessToken: body.access_token,
        userId: body.user_id ?? null,
        permissions: body.permissions ?? [],
        usage: answer.usage,
      };
    },

    /** Short-lived → long-lived (about 60 days) token, server side only (§1.3). */
    async exchangeForLongLived(shortToken: string): Promise<LongLivedToken> {
      const url = endpoint(settings.graphUrl, '/access_token', {
        grant_type: 'ig_exchange_token',
        client_secret: required(settings.clientSecret, 'app secret'),
        access_token: shortToken,
      });
      const answer = await transport.call({ method: 'GET', url, idempotent: true });
      return longLived(parseAnswer(longTokenSchema, answer), answer.usage);
    },

    /** A new 60-day token for a long-lived one at least 24 hours old and unexpired (§1.4). */
    async refreshLongLived(token: string): Promise<LongLivedToken> {
      const url = endpoint(settings.graphUrl, '/refresh_access_token', {
        grant_type: 'ig_refresh_token',
        access_token: token,
      });
      const answer = await transport.call({ method: 'GET', url, idempotent: true });
      return longLived(parseAnswer(longTokenSchema, answer), answer.usage);
    },
  };
}
