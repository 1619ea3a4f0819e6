import type { FastifyInstance, FastifyReply } from 'fastify';
import { FACEBOOK_PERMISSIONS, INSTAGRAM_GRAPH_VERSION_PATTERN } from '@threadline/contract';
import type { SimContext } from '../context.ts';
import { newAuthCode } from '../ids.ts';
import { mergedParams } from '../platform/forms.ts';
import type { SimApp } from '../state/schema.ts';
import { facebookDialogPage, facebookErrorPage } from './dialog-page.ts';
import { appByMetaId, grantOf } from './tokens.ts';

/**
 * `www.facebook.com/{version}/dialog/oauth` (§7 step 1) and the form it posts: the person picks the Pages and may turn
 * permissions off. A permission declined once is not asked again unless `auth_type=rerequest`, as Meta does.
 */

interface DialogRequest {
  app: SimApp;
  redirectUri: string;
  scopes: string[];
  rerequest: boolean;
  state: string | undefined;
  raw: Record<string, string>;
}

class DialogError extends Error {}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function validate(ctx: SimContext, version: string, params: Record<string, unknown>): DialogRequest {
  if (!INSTAGRAM_GRAPH_VERSION_PATTERN.test(version)) throw new DialogError(`Unknown version ${version}`);
  const app = appByMetaId(ctx.state, str(params['client_id']) ?? '');
  if (!app) throw new DialogError('Invalid App ID: The provided app ID does not look like a valid app ID.');
  const redirectUri = str(params['redirect_uri']);
  if (!redirectUri || !app.redirectUris.includes(redirectUri))
    throw new DialogError("URL Blocked: This redirect failed because the redirect URI is not whitelisted in the app's Client OAuth Settings.");
  const responseType = str(params['response_type']) ?? 'code';
  if (responseType !== 'code') throw new DialogError('The simulator plays response_type=code only.');
  const scopes = (str(params['scope']) ?? '').split(/[\s,]+/).filter((s) => s.length > 0);
  const known: readonly string[] = FACEBOOK_PERMISSIONS;
  const invalid = scopes.filter((s) => !known.includes(s));
  if (invalid.length > 0) throw new DialogError(`Invalid Scopes: ${invalid.join(', ')}. This message is only shown to developers.`);
  const raw: Record<string, string> = {};
  for (const key of ['client_id', 'redirect_uri', 'response_type', 'scope', 'state', 'auth_type']) {
    const value = str(params[key]);
    if (value !== undefined) raw[key] = value;
  }
  return {
    app,
    redirectUri,
    scopes: [...new Set(['public_profile', ...scopes])],
    rerequest: str(params['auth_type']) === 'rerequest',
    state: str(params['state']),
    raw,
  };
}

/** Facebook appends `#_=_` to its redirects. */
function redirectWith(base: string, query: Record<string, string | undefined>): string {
  const pairs = Object.entries(query)
    .filter((pair): pair is [string, string] => pair[1] !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v).replace(/%20/g, '+')}`)
    .join('&');
  return `${base}${base.includes('?') ? '&' : '?'}${pairs}#_=_`;
}

function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  if (!(error instanceof DialogError)) throw error;
  return reply.code(400).type('text/html; charset=utf-8').send(facebookErrorPage(error.message));
}

const versionOf = (params: unknown): string =>
  typeof params === 'object' && params !== null && 'version' in params && typeof params.version === 'string' ? params.version : '';

export function registerFacebookDialogRoutes(app: FastifyInstance, ctx: SimContext): void {
  const fb = () => ctx.state.data.facebook;
  const personOf = (params: Record<string, unknown>) => {
    const wanted = str(params['sim_user']) ?? fb().sessionUserId;
    return fb().users.find((u) => u.id === wanted) ?? fb().users[0] ?? null;
  };
  const lockedOf = (dialog: DialogRequest, userId: string | undefined) => {
    const declined = userId ? (grantOf(ctx.state, dialog.app.id, userId)?.declined ?? []) : [];
    return (name: string) => !dialog.rerequest && declined.includes(name);
  };

  app.get('/facebook/:version/dialog/oauth', async (request, reply) => {
    const params = mergedParams(request.query, undefined);
    let dialog: DialogRequest;
    try {
      dialog = validate(ctx, versionOf(request.params), params);
    } catch (error) {
      return sendError(reply, error);
    }
    const user = personOf(params);
    const locked = lockedOf(dialog, user?.id);
    const pages = user
      ? fb()
          .pages.filter((p) => p.managers.includes(user.id))
          .map((page) => ({ page, instagram: page.igAccountId ? (ctx.state.account(page.igAccountId) ?? null) : null }))
      : [];
    const html = facebookDialogPage({
      appName: dialog.app.name,
      user,
      users: fb().users,
      pages,
      permissions: dialog.scopes.filter((s) => s !== 'public_profile').map((name) => ({ name, locked: locked(name) })),
      hidden: { ...dialog.raw, ...(user ? { sim_user: user.id } : {}) },
      switchUrl: (userId) => `?${new URLSearchParams({ ...dialog.raw, sim_user: userId }).toString()}`,
    });
    return reply.type('text/html; charset=utf-8').send(html);
  });

  app.post('/facebook/:version/dialog/oauth', async (request, reply) => {
    const params = mergedParams(request.query, request.body);
    let dialog: DialogRequest;
    try {
      dialog = validate(ctx, versionOf(request.params), params);
    } catch (error) {
      return sendError(reply, error);
    }
    if (params['action'] !== 'allow') {
      return reply.redirect(
        redirectWith(dialog.redirectUri, {
          error: 'access_denied',
          error_code: '200',
          error_description: 'Permissions error',
          error_reason: 'user_denied',
          state: dialog.state,
        }),
      );
    }
    const user = personOf(params);
    if (!user) return sendError(reply, new DialogError('Log in to Facebook first'));
    const locked = lockedOf(dialog, user.id);
    const granted = dialog.scopes.filter((s) => s === 'public_profile' || (!locked(s) && params[`perm_${s}`] === 'on'));
    const previous = grantOf(ctx.state, dialog.app.id, user.id);
    const declined = [...new Set([...(previous?.declined ?? []), ...dialog.scopes.filter((s) => !granted.includes(s))])].filter(
      (s) => !granted.includes(s),
    );
    const pageIds = fb()
      .pages.filter((p) => p.managers.includes(user.id) && params[`page_${p.id}`] === 'on')
      .map((p) => p.id);
    const grant = { appId: dialog.app.id, userId: user.id, granted: [...new Set([...(previous?.granted ?? []), ...granted])].filter((s) => !declined.includes(s)), declined, pageIds };
    fb().grants = [...fb().grants.filter((g) => !(g.appId === grant.appId && g.userId === grant.userId)), grant];
    const code = newAuthCode();
    fb().codes.push({ code, appId: dialog.app.id, userId: user.id, redirectUri: dialog.redirectUri, createdAt: ctx.clock.now(), used: false });
    return reply.redirect(redirectWith(dialog.redirectUri, { code, state: dialog.state }));
  });
}
