import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { LookupAddress } from 'node:dns';
import type { AddressInfo } from 'node:net';
import type { LookupAllFunction } from './url-policy.ts';

/** Test helpers: HTTP receivers on 127.0.0.1 only, and scripted resolvers. Nothing here leaves the machine. */

export type ReceivedRequest = { method: string; url: string; headers: IncomingMessage['headers']; body: string };

export type Receiver = {
  readonly port: number;
  readonly url: string;
  readonly received: ReceivedRequest[];
  close(): Promise<void>;
};

export async function startReceiver(
  handle: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<Receiver> {
  const received: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handle(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('receiver has no TCP address');
  const port = (address satisfies AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A resolver that gives the n-th answer list on the n-th call (the last one thereafter), and counts calls. */
export function scriptedLookup(...answers: string[][]): LookupAllFunction & { calls: string[] } {
  const calls: string[] = [];
  const lookup: LookupAllFunction = (hostname, _options, callback) => {
    calls.push(hostname);
    const list = answers[Math.min(calls.length, answers.length) - 1] ?? [];
    const result: LookupAddress[] = list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    setImmediate(() => callback(null, result));
  };
  return Object.assign(lookup, { calls });
}
