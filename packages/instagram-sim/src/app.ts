import Fastify from 'fastify';
import type { FastifyError, FastifyInstance } from 'fastify';
import { ZodError } from 'zod';
import type { SimContext } from './context.ts';
import { registerCustomerRoutes } from './control/customer-routes.ts';
import { registerEntityRoutes } from './control/entity-routes.ts';
import { registerSystemRoutes } from './control/system-routes.ts';
import { registerVariantRoutes } from './control/variant-routes.ts';
import { registerFacebookRoutes } from './facebook/index.ts';
import { registerGraphRoutes } from './graph/routes.ts';
import { registerAuthorizeRoutes } from './oauth/authorize-routes.ts';
import { registerTokenRoutes } from './oauth/token-routes.ts';
import { ControlError, graphError, GraphError, invalidParameter, OAuthEndpointError } from './platform/errors.ts';
import { shapeGraphError } from './platform/error-shape.ts';
import { registerFaultHook } from './platform/faults.ts';
import { registerFormParsers } from './platform/forms.ts';

/**
 * The simulator's HTTP surface. One server plays the three Instagram hosts (www.instagram.com for the dialog,
 * api.instagram.com for the code exchange, graph.instagram.com for the rest), the two Facebook ones under `/facebook`
 * (www.facebook.com's Login dialog and graph.facebook.com), plus the `/_sim` control API.
 */
export function buildApp(ctx: SimContext, options: { logger: boolean }): FastifyInstance {
  const app = Fastify({
    // Graph URLs carry access tokens in their query: request lines are logged without it.
    logger: options.logger
      ? { level: 'info', serializers: { req: (req: { method: string; url: string }) => ({ method: req.method, path: req.url.split('?')[0] }) } }
      : false,
  });
  registerFormParsers(app);
  registerFaultHook(app, ctx.state);

  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    const control = request.url.startsWith('/_sim');
    if (error instanceof GraphError) {
      const shaped = shapeGraphError(error.status, error.body, ctx.state.data.variants);
      return reply.code(shaped.status).send(shaped.body);
    }
    if (error instanceof OAuthEndpointError) return reply.code(error.status).send(error.body);
    if (error instanceof ControlError) return reply.code(error.status).send({ error: { code: error.code, message: error.message } });
    if (error instanceof ZodError) {
      const message = error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
      return reply.code(400).send({ error: { code: 'sim.invalid_request', message } });
    }
    const status = 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (control) return reply.code(status).send({ error: { code: status < 500 ? 'sim.bad_request' : 'sim.internal', message: error.message } });
    if (status < 500) {
      const graph = invalidParameter(error.message);
      return reply.code(graph.status).send(graph.body);
    }
    request.log.error({ err: error }, 'unhandled simulator error');
    const unknown = graphError('unknown');
    return reply.code(unknown.status).send(unknown.body);
  });

  app.setNotFoundHandler((request, reply) => {
    if (request.url.startsWith('/_sim'))
      return reply.code(404).send({ error: { code: 'sim.not_found', message: `No control route ${request.method} ${request.url.split('?')[0]}` } });
    const error = graphError('objectNotFound', {
      message: `Unknown path components: ${request.url.split('?')[0]}`,
    });
    return reply.code(error.status).send(error.body);
  });

  app.addHook('onResponse', async (request) => {
    if (request.method !== 'GET') ctx.state.saveSoon();
  });

  registerAuthorizeRoutes(app, ctx);
  registerTokenRoutes(app, ctx);
  registerGraphRoutes(app, ctx);
  registerFacebookRoutes(app, ctx);
  registerEntityRoutes(app, ctx);
  registerCustomerRoutes(app, ctx);
  registerVariantRoutes(app, ctx);
  registerSystemRoutes(app, ctx);
  return app;
}
