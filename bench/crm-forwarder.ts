// The bare reference of the CRM benchmark: what a team would wire in Node-RED or n8n instead of Threadline.
// node:http, the X-Hub-Signature-256 check (HMAC-SHA256 of the raw body, constant-time comparison), then one `fetch`
// of the body to the CRM, and Meta's answer: 200 EVENT_RECEIVED when the CRM took it, 502 when it did not (Meta must
// retry: nothing is stored). No framework, no logging, no storage, no retries of its own. It tells what the machine
// allows for "Meta → CRM", so Threadline's latency can be given as a ratio to it, measured in the same run.
//
// With FWD_DATABASE_URL it is the storing forwarder instead, the floor of any design that stores before it answers:
// one INSERT of the raw body in its own transaction (bench/lib/bare-store.ts), then 200 to Meta (503 if the insert
// failed), then the `fetch` (no retry: the bench counts what reaches the CRM).
//
// Environment: FWD_PORT, FWD_SECRET, FWD_CRM_URL; FWD_DATABASE_URL (optional). GET /ready answers 200.
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { startBareWebhookServer } from './lib/bare-webhook-server.ts';
import { openBareStore } from './lib/bare-store.ts';

const port = Number(process.env.FWD_PORT ?? '0');
const secret = process.env.FWD_SECRET ?? '';
const crmUrl = process.env.FWD_CRM_URL ?? '';
if (!port || !secret || !crmUrl) throw new Error('FWD_PORT, FWD_SECRET and FWD_CRM_URL are required');
const BODY_LIMIT = 1024 * 1024;
const store = process.env.FWD_DATABASE_URL ? await openBareStore({ databaseUrl: process.env.FWD_DATABASE_URL, poolMax: 10, name: 'bench-storing-forwarder' }) : null;

/** To the CRM; `res`, when given, is answered as the CRM answered (the bare forwarder's Meta waits for it). */
function forward(body: Buffer, res: ServerResponse | null): void {
  // A stable id per body, so the receiver can count deliveries the way it does Threadline's `webhook-id`.
  const id = `fwd_${createHash('sha256').update(body).digest('base64url').slice(0, 24)}`;
  fetch(crmUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'webhook-id': id }, body }).then(
    async (crm) => {
      await crm.arrayBuffer();
      if (crm.ok) res?.writeHead(200, { 'content-type': 'text/plain' }).end('EVENT_RECEIVED');
      else res?.writeHead(502).end();
    },
    () => res?.writeHead(502).end(),
  );
}

startBareWebhookServer({
  port,
  secret,
  bodyLimit: BODY_LIMIT,
  onSigned(body, res) {
    if (!store) {
      forward(body, res);
      return;
    }
    store.insert(body).then(
      () => {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('EVENT_RECEIVED');
        forward(body, null);
      },
      () => res.writeHead(503).end(),
    );
  },
});

process.once('SIGTERM', () => process.exit(0));
