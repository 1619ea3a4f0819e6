import type { FastifyInstance } from 'fastify';
import type { SimContext } from '../context.ts';
import { registerFacebookControlRoutes } from './control-routes.ts';
import { registerFacebookDialogRoutes } from './dialog-routes.ts';
import { registerFacebookGraphRoutes } from './graph-routes.ts';
import { registerFacebookTokenRoutes } from './token-routes.ts';

/**
 * The Facebook side of Meta (§7), served under `/facebook`: point FACEBOOK_DIALOG_URL and FACEBOOK_GRAPH_URL at
 * `{simulator}/facebook` and it plays www.facebook.com (the Login dialog) and graph.facebook.com.
 */
export function registerFacebookRoutes(app: FastifyInstance, ctx: SimContext): void {
  registerFacebookDialogRoutes(app, ctx);
  registerFacebookTokenRoutes(app, ctx);
  registerFacebookGraphRoutes(app, ctx);
  registerFacebookControlRoutes(app, ctx);
}
