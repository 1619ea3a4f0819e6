// The bare reference of the ingestion benchmark, run as its own process: node:http, the X-Hub-Signature-256 check
// (HMAC-SHA256 of the raw body, constant-time comparison) and one INSERT of the raw body per webhook POST, then
// 200 EVENT_RECEIVED. Nothing else: no framework, no logging, no processing. It tells what the machine and the
// database engine allow, so Threadline's acknowledgement throughput can be judged against it.
//
// Environment: REF_PORT, REF_SECRET, and REF_DATABASE_URL (PostgreSQL, pool of REF_POOL_MAX, default 10) or
// REF_DATA_DIR (a PGlite directory of its own). GET /ready answers 200 once the table exists.
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { startBareWebhookServer } from './lib/bare-webhook-server.ts';

type Insert = (body: Buffer) => Promise<void>;
const TABLE = `create table if not exists bench_ref_events (
  id bigint generated always as identity primary key,
  received_at timestamptz not null default now(),
  body bytea not null)`;
const INSERT = 'insert into bench_ref_events (body) values ($1)';
const BODY_LIMIT = 10 * 1024 * 1024;

const port = Number(process.env.REF_PORT ?? '0');
const secret = process.env.REF_SECRET ?? '';
if (!port || !secret) throw new Error('REF_PORT and REF_SECRET are required');

async function openStore(): Promise<{ insert: Insert; close(): Promise<void> }> {
  const url = process.env.REF_DATABASE_URL;
  if (url) {
    const pool = new pg.Pool({ connectionString: url, max: Number(process.env.REF_POOL_MAX ?? '10'), application_name: 'bench-reference' });
    pool.on('error', () => undefined);
    await pool.query(TABLE);
    return { insert: async (body) => void (await pool.query(INSERT, [body])), close: () => pool.end() };
  }
  const dir = process.env.REF_DATA_DIR;
  if (!dir) throw new Error('REF_DATABASE_URL or REF_DATA_DIR is required');
  const db = await PGlite.create(dir);
  await db.exec(TABLE);
  return { insert: async (body) => void (await db.query(INSERT, [body])), close: () => db.close() };
}

const store = await openStore();
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
