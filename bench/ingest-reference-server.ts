// The bare reference of the ingestion benchmark, run as its own process: node:http, the X-Hub-Signature-256 check
// (HMAC-SHA256 of the raw body, constant-time comparison) and one INSERT of the raw body per webhook POST, then
// 200 EVENT_RECEIVED. Nothing else: no framework, no logging, no processing. It tells what the machine and the
// database engine allow, so Threadline's acknowledgement throughput can be judged against it.
//
// Environment: REF_PORT, REF_SECRET, and REF_DATABASE_URL (PostgreSQL, pool of REF_POOL_MAX, default 10) or
// REF_DATA_DIR (a PGlite directory of its own). GET /ready answers 200 once the table exists.
import { readReferenceServerConfig } from './lib/bare-config.ts';
import { startBareWebhookServer } from './lib/bare-webhook-server.ts';
import { openBareStore } from './lib/bare-store.ts';

const BODY_LIMIT = 10 * 1024 * 1024;

const { port, secret, databaseUrl, dataDir, poolMax } = readReferenceServerConfig();

const store = await openBareStore({ databaseUrl, dataDir, poolMax, name: 'bench-reference' });
const server = startBareWebhookServer({
  port,
  secret,
  bodyLimit: BODY_LIMIT,
  onSigned: (body, res) =>
    store.insert(body).then(
      () => res.writeHead(200, { 'content-type': 'text/plain' }).end('EVENT_RECEIVED'),
      () => res.writeHead(503).end(),
    ),
});

process.once('SIGTERM', () => {
  server.close();
  server.closeIdleConnections();
  store.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
