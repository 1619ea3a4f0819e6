// The node:http server the bare references of the benchmarks share (bench/ingest-reference-server.ts stores each
// signed body, bench/crm-forwarder.ts forwards it): GET /ready, POST /webhooks/instagram with the body read (up to a
// limit) and its X-Hub-Signature-256 checked (HMAC-SHA256 of the raw bytes, constant-time comparison), and nothing
// else: no framework, no logging.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';

export function metaSignatureOk(body: Buffer, header: string | string[] | undefined, secret: string): boolean {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const provided = Buffer.from(header.slice(7), 'hex');
  const expected = createHmac('sha256', secret).update(body).digest();
  return provided.length === expected.length && timingSafeEqual(provided, expected);
}

/** Listens on 127.0.0.1:`port`; `onSigned` answers each signed webhook body (401 for a bad signature). */
export function startBareWebhookServer(opts: { port: number; secret: string; bodyLimit: number; onSigned: (body: Buffer, res: ServerResponse) => void }) {
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
      if (size > opts.bodyLimit) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (!metaSignatureOk(body, req.headers['x-hub-signature-256'], opts.secret)) {
        res.writeHead(401).end();
        return;
      }
      opts.onSigned(body, res);
    });
  });
  server.listen(opts.port, '127.0.0.1');
  return server;
}
