import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyReply } from 'fastify';
import type { App } from '../../http/server.ts';

/** packages/web/dist, where `npm run build` puts the web app. */
export const DEFAULT_WEB_DIST_DIR = path.resolve(import.meta.dirname, '../../../../web/dist');

/**
 * Strict: scripts and styles only from our origin (the Vite build has no inline script or style), no plugins,
 * no framing. Images and media also from https (Instagram's CDN serves profile pictures and shared posts).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob: https:",
  "media-src 'self' blob: https:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

/** Paths that belong to the server, never to the web app: an unknown one is the API's JSON 404, not index.html. */
const SERVER_PREFIXES = ['/api/', '/oauth/', '/webhooks/', '/_', '/assets/'];
const TOP_LEVEL_FILE = /^\/([A-Za-z0-9][A-Za-z0-9._-]*\.[A-Za-z0-9]+)$/;

export type WebRoutesOptions = { distDir?: string };

function securityHeaders(reply: FastifyReply) {
  reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
  reply.header('referrer-policy', 'same-origin');
  reply.header('x-frame-options', 'DENY');
  reply.header('cross-origin-opener-policy', 'same-origin');
}

/**
 * The built web app on the API's origin (so the session cookie just works): hashed assets cached for a year,
 * index.html for every client route (revalidated each time), the CSP on every page. Registered last.
 */
export async function webRoutes(app: App, opts: WebRoutesOptions = {}) {
  const distDir = opts.distDir ?? DEFAULT_WEB_DIST_DIR;
  const indexFile = path.join(distDir, 'index.html');
  const assetsDir = path.join(distDir, 'assets');

  if (existsSync(assetsDir)) {
    await app.register(fastifyStatic, {
      root: assetsDir,
      prefix: '/assets/',
      cacheControl: false,
      etag: true,
      lastModified: false,
      index: false,
      setHeaders: (reply, file) => {
        if (file.startsWith(assetsDir + path.sep)) reply.header('cache-control', 'public, max-age=31536000, immutable');
      },
    });
  } else {
    // Keeps reply.sendFile available for the top-level files even before a build exists.
    await app.register(fastifyStatic, { root: distDir, serve: false });
  }

  app.get('/*', { config: { auth: 'public' }, logLevel: 'warn' }, async (req, reply) => {
    const pathname = req.url.split('?')[0] ?? '/';
    if (SERVER_PREFIXES.some((p) => pathname.startsWith(p))) return reply.callNotFound();
    securityHeaders(reply);
    const file = TOP_LEVEL_FILE.exec(pathname)?.[1];
    if (file && file !== 'index.html') {
      const full = path.join(distDir, file);
      if (existsSync(full) && statSync(full).isFile()) {
        reply.header('cache-control', 'public, max-age=3600');
        return reply.sendFile(file, distDir);
      }
      return reply.callNotFound();
    }
    let html: string;
    try {
      html = await readFile(indexFile, 'utf8');
    } catch {
      return reply
        .code(503)
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .send('<!doctype html><title>Threadline</title><p>The web app is not built yet: run <code>npm run build</code> (npm start does it for you).</p>');
    }
    return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(html);
  });
}
