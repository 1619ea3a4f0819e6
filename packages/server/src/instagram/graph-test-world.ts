import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { createSimulator, SimClient } from '@threadline/instagram-sim';
import type { Simulator } from '@threadline/instagram-sim';
import { createGraphClient } from './graph-client.ts';
import type { GraphClient, GraphClientOptions } from './graph-client.ts';

/**
 * Test helpers for the Graph client: the project's Meta simulator in-process on a free port, a world with a
 * connected account, and raw TCP servers that misbehave in ways the simulator cannot (nothing leaves 127.0.0.1).
 */

export const REDIRECT_URI = 'https://threadline.test/oauth/instagram/callback';
export const APP_SECRET = 'ig-app-secret-for-tests';
export const GRAPH_VERSION = 'v25.0';

export interface SimHarness {
  sim: Simulator;
  url: string;
  control: SimClient;
  close(): Promise<void>;
}

export async function startSim(): Promise<SimHarness> {
  const sim = createSimulator({ deliveryTickMs: 0 });
  const url = await sim.listen(0);
  return { sim, url, control: new SimClient(url), close: () => sim.close() };
}

/** A client pointed at `url` for every Meta host. */
export function clientFor(url: string, overrides: Partial<GraphClientOptions> = {}): GraphClient {
  return createGraphClient({
    authorizeUrl: `${url}/oauth/authorize`,
    apiUrl: url,
    graphUrl: url,
    graphVersion: GRAPH_VERSION,
    ...overrides,
  });
}

/** An app, a subscribed account with a long-lived token, and a customer who just wrote to it (window open). */
export async function connectedWorld(h: SimHarness) {
  const app = await h.control.createApp({ redirectUris: [REDIRECT_URI], secret: APP_SECRET });
  const account = await h.control.createAccount({ username: 'acme_shop', name: 'Acme Shop' });
  const customer = await h.control.createCustomer({ username: 'jane', name: 'Jane Doe' });
  const { access_token: token } = await h.control.issueToken({ appId: app.id, accountId: account.igId });
  const first = await h.control.sendText(customer.igsid, account.igId, 'Hi! Is the red one in stock?');
  const client = clientFor(h.url, { clientId: app.id, clientSecret: APP_SECRET });
  return { app, account, customer, token, firstMid: first.mid, client };
}

export interface RawServer {
  url: string;
  close(): Promise<void>;
}

/** A TCP server whose connections run `onConnection`; every socket is destroyed on close. */
export async function rawServer(onConnection: (socket: Socket) => void, scheme = 'http'): Promise<RawServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Accepts connections and never says a word: an https client hangs in its TLS handshake, before sending. */
export const silentServer = () => rawServer(() => undefined, 'https');

/** Whether `raw` holds a whole HTTP/1.1 request (head and Content-Length body). */
function isWholeRequest(raw: Buffer): boolean {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(raw.subarray(0, end).toString('latin1'))?.[1];
  return raw.length >= end + 4 + Number(length ?? 0);
}

/** Reads the whole request, then writes `answer` (possibly a partial one, or nothing) and cuts the connection. */
export const cuttingServer = (answer: string) =>
  rawServer((socket) => {
    let raw = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      raw = Buffer.concat([raw, chunk]);
      if (!isWholeRequest(raw)) return;
      if (answer === '') socket.destroy();
      else socket.write(answer, () => socket.destroy());
    });
  });
