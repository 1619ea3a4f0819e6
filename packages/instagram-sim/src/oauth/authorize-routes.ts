import type { FastifyInstance, FastifyReply } from 'fastify';
import { INSTAGRAM_SCOPES } from '@threadline/contract';
import type { SimContext } from '../context.ts';
import { newAuthCode } from '../ids.ts';
import { mergedParams } from '../platform/forms.ts';
import type { SimApp } from '../state/schema.ts';
import { consentPage, errorPage } from './authorize-page.ts';

/** `GET /oauth/authorize` (www.instagram.com, or api.instagram.com in older docs) and the form it posts (§1.1). */

interface AuthorizeRequest {
  app: SimApp;
  redirectUri: string;
  scopes: string[];
  state: string | undefined;
  raw: Record<string, string>;
}

class AuthorizeError extends Error {}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function validate(ctx: SimContext, params: Record<string, unknown>): AuthorizeRequest {
  const clientId = str(params['client_id']);
  const app = clientId ? ctx.state.app(clientId) : undefined;
  if (!app) throw new AuthorizeError('Invalid Request: Request parameters are invalid: Invalid platform app');
  const redirectUri = str(params['redirect_uri']);
  if (!redirectUri || !app.redirectUris.includes(redirectUri))
    throw new AuthorizeError('Invalid Request: Request parameters are invalid: Invalid redirect_uri');
  if (str(params['response_type']) !== 'code')
    throw new AuthorizeError('Invalid Request: Request parameters are invalid: response_type must be code');
  const scopes = (str(params['scope']) ?? '').split(/[\s,]+/).filter((s) => s.length > 0);
  const known: readonly string[] = INSTAGRAM_SCOPES;
  const invalid = scopes.filter((s) => !known.includes(s));
  if (scopes.length === 0) throw new AuthorizeError('Invalid Scopes: no scope requested');
  if (invalid.length > 0) throw new AuthorizeError(`Invalid Scopes: ${invalid.join(', ')}`);
  if (!scopes.includes('instagram_business_basic')) throw new AuthorizeError('Invalid Scopes: instagram_business_basic is required');
  const raw: Record<string, string> = {};
  for (const key of ['client_id', 'redirect_uri', 'response_type', 'scope', 'state']) {
    const value = str(params[key]);
    if (value !== undefined) raw[key] = value;
  }
  return { app, redirectUri, scopes: [...new Set(scopes)], state: str(params['state']), raw };
}

function redirectWith(base: string, query: Record<string, string | undefined>, fragment = ''): string {
  const pairs = Object.entries(query)
    .filter((pair): pair is [string, string] => pair[1] !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v).replace(/%20/g, '+')}`)
    .join('&');
  return `${base}${base.includes('?') ? '&' : '?'}${pairs}${fragment}`;
}

function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  if (!(error instanceof AuthorizeError)) throw error;
  return reply.code(400).type('text/html; charset=utf-8').send(errorPage(error.message));
}

export function registerAuthorizeRoutes(app: FastifyInstance, ctx: SimContext): void {
  app.get('/oauth/authorize', async (request, reply) => {
    const params = mergedParams(request.query, undefined);
    let auth: AuthorizeRequest;
    try {
      auth = validate(ctx, params);
    } catch (error) {
      return sendError(reply, error);
    }
    const users = ctx.state.data.igUsers;
    const wanted = str(params['sim_user']) ?? ctx.state.data.sessionUserId;
    const user = users.find((u) => u.id === wanted) ?? users[0] ?? null;
    const accounts = user ? ctx.state.data.accounts.filter((a) => a.igUserId === user.id) : [];
    const switchUrl = (userId: string): string => redirectWith('/oauth/authorize', { ...auth.raw, sim_user: userId });
    const html = consentPage({ appName: auth.app.name, user, users, accounts, scopes: auth.scopes, hidden: auth.raw, switchUrl });
    return reply.type('text/html; charset=utf-8').send(html);
  });

  app.post('/oauth/authorize', async (request, reply) => {
    const params = mergedParams(request.query, request.body);
    let auth: AuthorizeRequest;
    try {
      auth = validate(ctx, params);
    } catch (error) {
      return sendError(reply, error);
    }
    if (params['action'] !== 'allow') {
      return reply.redirect(
        redirectWith(auth.redirectUri, {
          error: 'access_denied',
          error_reason: 'user_denied',
          error_description: 'The user denied your request',
          state: auth.state,
        }),
      );
    }
    const account = ctx.state.account(str(params['account_id']) ?? '');
    if (!account) return sendError(reply, new AuthorizeError('Choose a professional account'));
    const code = newAuthCode();
    ctx.state.data.codes.push({
      code, appId: auth.app.id, accountId: account.igId, redirectUri: auth.redirectUri,
      scopes: auth.scopes, createdAt: ctx.clock.now(), used: false,
    });
    // The `#_` Meta appends is not part of the code (§1.1).
    return reply.redirect(redirectWith(auth.redirectUri, { code, state: auth.state }, '#_'));
  });
}
