import { OAUTH_STATE_TTL_SECONDS, routes } from '@threadline/contract';
import { route, routeWith } from '../../http/route.ts';
import type { App } from '../../http/server.ts';
import { requestContext, type SessionCookie } from '../auth/auth.routes.ts';
import type { AuthService } from '../auth/auth.service.ts';
import type { FacebookLogin } from './facebook-login.service.ts';
import type { MetaCallbacks } from './meta-callbacks.service.ts';
import { createOAuthHttp } from './oauth-http.ts';
import { callbackRoute, metaCallbackRoutes, redirectToStart } from './oauth.routes.ts';
import { oauthErrors } from './oauth.errors.ts';

export type FacebookLoginRoutesOptions = {
  /** Null when FACEBOOK_APP_ID / FACEBOOK_APP_SECRET are missing: every /oauth/facebook route answers 503. */
  facebookLogin: FacebookLogin | null;
  /** Null when no Facebook app secret is configured. */
  metaCallbacks: MetaCallbacks | null;
  auth: Pick<AuthService, 'authenticate'>;
  cookie: SessionCookie;
  /** `{PUBLIC_BASE_URL}`'s origin: the Page choice is posted from Threadline's own page only. */
  publicOrigin: string;
};

const notConfigured = oauthErrors.facebookNotConfigured;

/** "Continue with Facebook": the dialog, its callback, the Page picker, and Meta's callbacks for the Facebook app. */
export async function facebookLoginRoutes(app: App, opts: FacebookLoginRoutesOptions) {
  const http = createOAuthHttp(app, opts);
  const login = () => {
    if (!opts.facebookLogin) throw notConfigured();
    return opts.facebookLogin;
  };

  const r = routes.platform.facebook;
  route(app, r.authorize, async (req, reply) =>
    redirectToStart(http, reply, login(), {
      userId: await http.currentUserId(req),
      redirect: req.query.redirect,
      rerequest: req.query.rerequest === '1',
      invitation: req.query.invitation,
    }),
  );

  callbackRoute(app, http, 'facebook', login);

  // The choice id is half of what lets a browser link Pages (the binding cookie is the other half): kept out of the
  // request log like the callback's code and state.
  routeWith(app, r.pages, { logLevel: 'warn' }, async (req, reply) => {
    app.log.info({ reqId: req.id }, 'facebook page picker');
    const shown = await login().picker(req.params.id, http.bindingOf(req));
    return http.html(reply, shown.status, shown.html);
  });

  routeWith(app, r.choosePages, { logLevel: 'warn' }, async (req, reply) => {
    app.log.info({ reqId: req.id }, 'facebook pages chosen');
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== opts.publicOrigin) throw oauthErrors.crossOrigin();
    const chosen = Object.entries(req.body ?? {})
      .filter(([key, value]) => key.startsWith('page_') && value === 'on')
      .map(([key]) => key.slice('page_'.length));
    const result = await login().choose(req.params.id, http.bindingOf(req), chosen, requestContext(req));
    return http.finish(reply, result, OAUTH_STATE_TTL_SECONDS);
  });

  metaCallbackRoutes(app, http, 'facebook', opts.metaCallbacks, notConfigured);
}
