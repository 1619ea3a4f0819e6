import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { routes } from '@threadline/contract';
import { routeWith } from '../../http/route.ts';
import type { App } from '../../http/server.ts';
import type { MetricsRegistry } from '../../shared/metrics.ts';
import { cidrContains, parseIp, type Cidr } from '../../shared/net/ip-address.ts';
import { operationsErrors } from './operations.errors.ts';

export type MetricsAccess = { token: string | undefined; allowedNetworks: readonly Cidr[] };

const digest = (text: string) => createHash('sha256').update(text).digest();

/** A bearer token compared in constant time (both sides hashed first, so lengths never differ). */
export function bearerMatches(header: string | undefined, token: string | undefined): boolean {
  if (!token || !header?.startsWith('Bearer ')) return false;
  return timingSafeEqual(digest(header.slice('Bearer '.length).trim()), digest(token));
}

/** Whether a client address (after TRUST_PROXY) lies in one of the allowed networks; IPv4-mapped IPv6 counts as IPv4. */
export function addressAllowed(ip: string, networks: readonly Cidr[]): boolean {
  const address = parseIp(ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice('::ffff:'.length) : ip);
  return address !== undefined && networks.some((n) => cidrContains(n, address));
}

/**
 * /metrics on the main port: with METRICS_TOKEN, a matching bearer is enough; otherwise (or without one) the client
 * address must be in METRICS_ALLOWED_NETWORKS (loopback by default). With METRICS_PORT (`servedOnPort`), this port
 * answers 404 and says where they are.
 */
export async function metricsRoutes(app: App, opts: { metrics: MetricsRegistry; access: MetricsAccess; servedOnPort: number | null }) {
  routeWith(app, routes.platform.metrics, { logLevel: 'warn' }, async (req, reply) => {
    if (opts.servedOnPort !== null) throw operationsErrors.metricsOnOtherPort();
    if (!bearerMatches(req.headers.authorization, opts.access.token) && !addressAllowed(req.ip, opts.access.allowedNetworks)) {
      if (opts.access.token) throw operationsErrors.metricsUnauthorized();
      throw operationsErrors.metricsForbidden();
    }
    return reply.type(opts.metrics.contentType).send(await opts.metrics.render());
  });
}

/** /metrics on its own port (METRICS_PORT), for API and worker processes alike; METRICS_TOKEN still applies when set. */
export async function startMetricsServer(opts: { metrics: MetricsRegistry; port: number; host: string; token: string | undefined }): Promise<Server> {
  const answer = async (req: IncomingMessage): Promise<{ status: number; type: string; body: string }> => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') return { status: 404, type: 'text/plain', body: 'not found\n' };
    if (opts.token && !bearerMatches(req.headers.authorization, opts.token)) return { status: 401, type: 'text/plain', body: 'unauthorized\n' };
    return { status: 200, type: opts.metrics.contentType, body: await opts.metrics.render() };
  };
  const server = createServer((req, res) => {
    answer(req).then(
      (a) => res.writeHead(a.status, { 'content-type': a.type, 'cache-control': 'no-store' }).end(a.body),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
