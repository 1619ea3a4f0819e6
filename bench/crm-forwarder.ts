// The bare reference of the CRM benchmark: what a team would wire in Node-RED or n8n instead of Threadline.
// node:http, the X-Hub-Signature-256 check (HMAC-SHA256 of the raw body, constant-time comparison), then one `fetch`
// of the body to the CRM, and Meta's answer: 200 EVENT_RECEIVED when the CRM took it, 502 when it did not (Meta must
// retry: nothing is stored). No framework, no logging, no storage, no retries of its own. It tells what the machine
// allows for "Meta → CRM", so Threadline's latency can be given as a ratio to it, measured in the same run.
//
// Environment: FWD_PORT, FWD_SECRET, FWD_CRM_URL. GET /ready answers 200.
import { createHash } from 'node:crypto';
import { startBareWebhookServer } from './lib/bare-webhook-server.ts';

const port = Number(process.env.FWD_PORT ?? '0');
const secret = process.env.FWD_SECRET ?? '';
const crmUrl = process.env.FWD_CRM_URL ?? '';
if (!port || !secret || !crmUrl) throw new Error('FWD_PORT, FWD_SECRET and FWD_CRM_URL are required');
const BODY_LIMIT = 1024 * 1024;

startBareWebhookServer({
  port,
  secret,
  bodyLimit: BODY_LIMIT,
  onSigned(body, res) {
    // A stable id per body, so the receiver can count deliveries the way it does Threadline's `webhook-id`.
    const id = `fwd_${createHash('sha256').update(body).digest('base64url').slice(0, 24)}`;
    fetch(crmUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'webhook-id': id }, body }).then(
      async (crm) => {
        await crm.arrayBuffer();
        if (crm.ok) res.writeHead(200, { 'content-type': 'text/plain' }).end('EVENT_RECEIVED');
        else res.writeHead(502).end();
      },
      () => res.writeHead(502).end(),
    );
  },
});

process.once('SIGTERM', () => process.exit(0));
