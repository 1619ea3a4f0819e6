import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { allRoutes, openApiDocument, routes } from '@threadline/contract';
import { route } from '../../http/route.ts';
import type { App } from '../../http/server.ts';
import { notFound } from '../../shared/errors.ts';

/** swagger-ui-dist's folder: the reference page's assets come from node_modules, never from a CDN. */
const SWAGGER_UI_DIR = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/**
 * The page's own rules: scripts only from this origin (the page has no inline script), and inline styles, which
 * Swagger UI sets on its elements; nothing may frame it, and it talks to this origin only.
 */
export const API_DOCS_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Starts Swagger UI on the generated document (a file of its own, so the CSP needs no inline script). */
const INIT_SCRIPT = `window.onload = function () {
  window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#reference', deepLinking: true, tryItOutEnabled: false, validatorUrl: null });
};
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Threadline API reference</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
<link rel="icon" type="image/png" href="/api/docs/assets/favicon-32x32.png">
</head>
<body>
<div id="reference"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/assets/threadline-init.js"></script>
</body>
</html>
`;

/** The only files the asset route serves (a fixed list: no path from the URL ever reaches the file system). */
const ASSETS: Readonly<Record<string, { type: string; load: () => Promise<Buffer | string> }>> = {
  'swagger-ui.css': { type: 'text/css; charset=utf-8', load: () => readFile(path.join(SWAGGER_UI_DIR, 'swagger-ui.css')) },
  'swagger-ui-bundle.js': { type: 'text/javascript; charset=utf-8', load: () => readFile(path.join(SWAGGER_UI_DIR, 'swagger-ui-bundle.js')) },
  'favicon-32x32.png': { type: 'image/png', load: () => readFile(path.join(SWAGGER_UI_DIR, 'favicon-32x32.png')) },
  'threadline-init.js': { type: 'text/javascript; charset=utf-8', load: async () => INIT_SCRIPT },
};

/**
 * The API reference for CRM developers: the OpenAPI 3.1 document generated from the contract's route table at
 * `/api/openapi.json`, and a reference page reading it at `/api/docs`. Both public: they hold no secret.
 */
export async function apiDocsRoutes(app: App, opts: { version: string; serverUrl: string }) {
  const document = JSON.stringify(openApiDocument(allRoutes, { version: opts.version, serverUrl: opts.serverUrl }));

  route(app, routes.docs.openapi, async (_req, reply) => reply.type('application/json; charset=utf-8').header('cache-control', 'no-cache').send(document));

  route(app, routes.docs.page, async (_req, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', API_DOCS_CONTENT_SECURITY_POLICY)
      .header('referrer-policy', 'same-origin')
      .header('x-frame-options', 'DENY')
      .header('cache-control', 'no-cache')
      .send(PAGE),
  );

  route(app, routes.docs.pageAsset, async (req, reply) => {
    const asset = Object.hasOwn(ASSETS, req.params.file) ? ASSETS[req.params.file] : undefined;
    if (!asset) throw notFound('docs.asset_not_found', 'No such file.');
    return reply.type(asset.type).header('cache-control', 'public, max-age=86400').send(await asset.load());
  });
}
