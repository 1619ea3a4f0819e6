import { OAUTH_STATE_TTL_SECONDS, routes } from '@threadline/contract';
import { route, routeWith } from '../../http/route.ts';
import type { App } from '../../http/server.ts';
import { forbidden, serviceUnavailable } from '../../shared/errors.ts';
import { redactUrl } from '../../shared/logger.ts';
import { requestContext, type SessionCookie } from '../auth/auth.routes.ts';
import type { AuthService } from '../auth/auth.service.ts';
import type { FacebookLogin } from './facebook-login.service.ts';
import type { MetaCallbacks } from './meta-callbacks.service.ts';
import { createOAuthHttp } from './oauth-http.ts';
import { metaCallbackRoutes } from './oauth.routes.ts';

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

const notConfigured = () =>
  serviceUnavailable('oauth.facebook_not_configured', 'Facebook login is not configured on this server (set FACEBOOK_APP_ID and FACEBOOK_APP_SECRET).');


/** "Continue with Facebook": the dialog, its callback, the Page picker, and Meta's callbacks for the Facebook app. */
export async function facebookLoginRoutes(app: App, opts: FacebookLoginRoutesOptions) {
  const http = createOAuthHttp(app, opts);
  const login = () => {
    if (!opts.facebookLogin) throw notConfigured();
    return opts.facebookLogin;
  };

  const r = routes.platform.facebook;
  route(app, r.authorize, async (req, reply) => {
    const started = await login().start({
      userId: await http.currentUserId(req),
      redirect: req.query.redirect,
      rerequest: req.query.rerequest === '1',
      invitation: req.query.invitation,
    });
    if ('refused' in started) return reply.redirect(started.refused, 302);
    http.setBinding(reply, started.binding, started.maxAgeSeconds);
    return reply.redirect(started.authorizeUrl, 302);
  });

  // The query holds the code and the state: logged redacted, as the Instagram callback is.
  routeWith(app, r.callback, { logLevel: 'warn' }, async (req, reply) => {
    app.log.info({ reqId: req.id, url: redactUrl(req.url) }, 'facebook login callback');
    const result = await login().callback(req.query, http.bindingOf(req), requestContext(req));
    return http.finish(reply, result, OAUTH_STATE_TTL_SECONDS);
  });

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
    if (origin !== undefined && origin !== opts.publicOrigin) throw forbidden('oauth.cross_origin', 'The choice of Pages must be made on Threadline’s own page.');
    const chosen = Object.entries(req.body ?? {})
      .filter(([key, value]) => key.startsWith('page_') && value === 'on')
      .map(([key]) => key.slice('page_'.length));
    const result = await login().choose(req.params.id, http.bindingOf(req), chosen, requestContext(req));
    return http.finish(reply, result, OAUTH_STATE_TTL_SECONDS);
  });

  metaCallbackRoutes(app, http, 'facebook', opts.metaCallbacks, notConfigured);
}
