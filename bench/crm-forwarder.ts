// The bare reference of the CRM benchmark: what a team would wire in Node-RED or n8n instead of Threadline.
// node:http, the X-Hub-Signature-256 check (HMAC-SHA256 of the raw body, constant-time comparison), then one `fetch`
// of the body to the CRM, and Meta's answer: 200 EVENT_RECEIVED when the CRM took it, 502 when it did not (Meta must
// retry: nothing is stored). No framework, no logging, no storage, no retries of its own. It tells what the machine
// allows for "Meta → CRM", so Threadline's latency can be given as a ratio to it, measured in the same run.
//
// Environment: FWD_PORT, FWD_SECRET, FWD_CRM_URL. GET /ready answers 200.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const port = Number(process.env.FWD_PORT ?? '0');
const secret = process.env.FWD_SECRET ?? '';
const crmUrl = process.env.FWD_CRM_URL ?? '';
if (!port || !secret || !crmUrl) throw new Error('FWD_PORT, FWD_SECRET and FWD_CRM_URL are required');
const BODY_LIMIT = 1024 * 1024;

function signatureOk(body: Buffer, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const provided = Buffer.from(header.slice(7), 'hex');
  const expected = createHmac('sha256', secret).update(body).digest();
  return provided.length === expected.length && timingSafeEqual(provided, expected);
}

const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  if (req.method === 'GET' && req.url === '/ready') {
    res.writeHead(200).end('ok');
    return;
  }
  if (req.method !== 'POST' || req.url !== '/webhooks/instagram') {
    res.writeHead(404).end();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > BODY_LIMIT) req.destroy();
    else chunks.push(chunk);
  });
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    if (!signatureOk(body, req.headers['x-hub-signature-256'])) {
      res.writeHead(401).end();
      return;
    }
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
  });
});
server.listen(port, '127.0.0.1');

process.once('SIGTERM', () => {
  server.close();
  server.closeIdleConnections();
  process.exit(0);
});
