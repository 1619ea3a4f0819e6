import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { createSimulator } from '../src/index.ts';
import type { Simulator, SimulatorOptions } from '../src/index.ts';
import { SimClient } from '../src/client.ts';

/** Test harness: an in-process simulator on port 0, a webhook receiver, and a Graph caller. */

export interface Harness {
  sim: Simulator;
  url: string;
  client: SimClient;
  close(): Promise<void>;
}

export async function startSim(options: SimulatorOptions = {}): Promise<Harness> {
  const sim = createSimulator({ deliveryTickMs: 0, ...options });
  const url = await sim.listen(0);
  return { sim, url, client: new SimClient(url), close: () => sim.close() };
}

export interface ReceivedWebhook {
  body: string;
  json: unknown;
  headers: IncomingHttpHeaders;
}

/** A webhook endpoint like Threadline's: answers the handshake, records POSTs, can be told to fail. */
export interface Receiver {
  url: string;
  received: ReceivedWebhook[];
  /** Status for the next POSTs (queue); 200 once empty. */
  failNext(...statuses: number[]): void;
  close(): Promise<void>;
}

export async function startReceiver(verifyToken = 'verify-me'): Promise<Receiver> {
  const received: ReceivedWebhook[] = [];
  const statuses: number[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET') {
      const ok = url.searchParams.get('hub.mode') === 'subscribe' && url.searchParams.get('hub.verify_token') === verifyToken;
      res.writeHead(ok ? 200 : 403).end(ok ? (url.searchParams.get('hub.challenge') ?? '') : 'forbidden');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const status = statuses.shift() ?? 200;
      if (status === 200) received.push({ body, json: JSON.parse(body), headers: req.headers });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/webhooks/instagram`,
    received,
    failNext: (...s) => statuses.push(...s),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export const sign = (body: string, secret: string): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

export interface GraphResponse {
  status: number;
  headers: Headers;
  text: string;
  body: unknown;
}

/** Calls the simulator like Threadline's Graph client would. */
export async function graph(
  base: string,
  path: string,
  options: { method?: string; token?: string; json?: unknown; form?: Record<string, string>; multipart?: Record<string, string> } = {},
): Promise<GraphResponse> {
  const headers: Record<string, string> = {};
  let body: string | FormData | URLSearchParams | undefined;
  if (options.token) headers['authorization'] = `Bearer ${options.token}`;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  if (options.form) body = new URLSearchParams(options.form);
  if (options.multipart) {
    const form = new FormData();
    for (const [k, v] of Object.entries(options.multipart)) form.append(k, v);
    body = form;
  }
  const response = await fetch(`${base}${path}`, { method: options.method ?? 'GET', headers, body, redirect: 'manual' });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // HTML or plain text answers stay text
  }
  return { status: response.status, headers: response.headers, text, body: parsed };
}

/** A ready world: app with a verified webhook, an account subscribed to it, a customer, a long-lived token. */
export async function world(h: Harness, receiver?: Receiver) {
  const app = await h.client.createApp({ redirectUris: ['https://threadline.test/oauth/callback'] });
  if (receiver) await h.client.setWebhook(app.id, { callbackUrl: receiver.url, verifyToken: 'verify-me' });
  const account = await h.client.createAccount({ username: 'acme' });
  const customer = await h.client.createCustomer({ username: 'jane', name: 'Jane Doe' });
  const { access_token: token } = await h.client.issueToken({ appId: app.id, accountId: account.igId });
  await h.client.subscribe({ appId: app.id, accountId: account.igId });
  return { app, account, customer, token };
}
