// The bare reference of the CRM benchmark: what a team would wire in Node-RED or n8n instead of Threadline.
// node:http, the X-Hub-Signature-256 check (HMAC-SHA256 of the raw body, constant-time comparison), then one `fetch`
// of the body to the CRM, and Meta's answer: 200 EVENT_RECEIVED when the CRM took it, 502 when it did not (Meta must
// retry: nothing is stored). No framework, no logging, no storage, no retries of its own. It tells what the machine
// allows for "Meta → CRM", so Threadline's latency can be given as a ratio to it, measured in the same run.
//
// With FWD_DATABASE_URL it is a storing forwarder instead, the floor of any design that stores before it answers:
// one statement in its own transaction (bench/lib/bare-store.ts), then 200 to Meta (503 if it failed), then the
// `fetch` (no retry: the bench counts what reaches the CRM). FWD_STORE says which statement: `insert` (default), one
// INSERT of the raw body; `sequenced`, the raw body, the conversation's next sequence number, the message and a
// delivery row, as one statement, and the event goes to the CRM with its number (`{"sequence":…,"event":…}`).
//
// Environment: FWD_PORT, FWD_SECRET, FWD_CRM_URL; FWD_DATABASE_URL and FWD_STORE (optional). GET /ready answers 200.
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { startBareWebhookServer } from './lib/bare-webhook-server.ts';
import { openBareStore, type EventKeys } from './lib/bare-store.ts';
import { readForwarderConfig } from './lib/bare-config.ts';

const { port, secret, crmUrl, databaseUrl, storeKind: kind } = readForwarderConfig();
const BODY_LIMIT = 1024 * 1024;
const store = databaseUrl ? await openBareStore({ databaseUrl, poolMax: 10, name: 'bench-storing-forwarder', kind }) : null;

/** The sender and message id of a Meta messaging event (the bench sends one per POST); null when not one. */
function keysOf(body: Buffer): EventKeys | null {
  try {
    const event = (JSON.parse(body.toString('utf8')) as { entry?: { messaging?: { sender?: { id?: unknown }; message?: { mid?: unknown } }[] }[] }).entry?.[0]?.messaging?.[0];
    const sender = event?.sender?.id;
    const mid = event?.message?.mid;
    return typeof sender === 'string' && typeof mid === 'string' ? { sender, mid } : null;
  } catch {
    return null;
  }
}

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
    const keys = kind === 'sequenced' ? keysOf(body) : null;
    if (kind === 'sequenced' && !keys) {
      res.writeHead(400).end();
      return;
    }
    store.insert(body, keys ?? undefined).then(
      (sequence) => {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('EVENT_RECEIVED');
        forward(sequence === null ? body : Buffer.concat([Buffer.from(`{"sequence":${sequence},"event":`), body, Buffer.from('}')]), null);
      },
      () => res.writeHead(503).end(),
    );
  },
});

process.once('SIGTERM', () => process.exit(0));
