import { afterEach, describe, expect, it } from 'vitest';
import { parseCidrList } from './ip-policy.ts';
import { createSafeHttpClient } from './safe-http.ts';
import type { SafeHttpClient, SafeHttpClientOptions } from './safe-http.ts';
import { scriptedLookup, startReceiver } from './test-receivers.ts';
import type { Receiver } from './test-receivers.ts';

const LOOPBACK_ALLOWED = parseCidrList('127.0.0.1/32');

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function receiver(handle: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const started = await startReceiver(handle);
  cleanups.push(() => started.close());
  return started;
}

function client(options: Partial<SafeHttpClientOptions> = {}): SafeHttpClient {
  const created = createSafeHttpClient({ allowedNetworks: LOOPBACK_ALLOWED, connectTimeoutMs: 2_000, allowHttp: true, ...options });
  cleanups.push(() => created.close());
  return created;
}

describe('safe HTTP client: answers', () => {
  it('posts the body and headers and returns status, headers and body', async () => {
    const crm = await receiver((_req, res) => {
      res.writeHead(201, { 'content-type': 'application/json', 'x-crm': 'ok' }).end('{"accepted":true}');
    });
    const response = await client().request({
      url: `${crm.url}/hooks?x=1`,
      headers: { 'content-type': 'application/json', 'webhook-id': 'msg_1' },
      body: '{"event":"message.created"}',
      timeoutMs: 5_000,
    });
    expect(response).toMatchObject({ status: 201, bodyText: '{"accepted":true}', truncated: false });
    expect(response.headers['x-crm']).toBe('ok');
    expect(response.durationMs).toBeGreaterThanOrEqual(0);
    expect(crm.received).toMatchObject([{ method: 'POST', url: '/hooks?x=1', body: '{"event":"message.created"}' }]);
    expect(crm.received[0]?.headers['webhook-id']).toBe('msg_1');
  });

  it('returns a 410 Gone as an answer, not an error', async () => {
    const crm = await receiver((_req, res) => res.writeHead(410).end('endpoint removed'));
    const response = await client().request({ url: crm.url, body: '{}', timeoutMs: 5_000 });
    expect(response).toMatchObject({ status: 410, bodyText: 'endpoint removed' });
  });

  it('returns a 302 as the answer and never follows it', async () => {
    const target = await receiver((_req, res) => res.writeHead(200).end('followed'));
    const crm = await receiver((_req, res) => res.writeHead(302, { location: `${target.url}/internal` }).end());
    const response = await client().request({ url: crm.url, body: '{}', timeoutMs: 5_000 });
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe(`${target.url}/internal`);
    expect(target.received).toHaveLength(0);
  });

  it('returns a 302 towards the metadata service without following it', async () => {
    const crm = await receiver((_req, res) => res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end());
    const response = await client().request({ url: crm.url, method: 'GET', timeoutMs: 5_000 });
    expect(response.status).toBe(302);
  });

  it('waits for a slow receiver that answers within the deadline', async () => {
    const crm = await receiver((_req, res) => {
      setTimeout(() => {
        res.writeHead(200);
        res.write('part one, ');
        setTimeout(() => res.end('part two'), 50);
      }, 150);
    });
    const response = await client().request({ url: crm.url, body: '{}', timeoutMs: 10_000 });
    expect(response).toMatchObject({ status: 200, bodyText: 'part one, part two' });
  });
});

describe('safe HTTP client: limits', () => {
  it('reads only the first 64 KiB of a huge body and drops the connection', async () => {
    const closed = Promise.withResolvers<boolean>();
    const crm = await receiver((_req, res) => {
      res.on('close', () => closed.resolve(res.writableFinished));
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = 'x'.repeat(16_384);
      let sent = 0;
      const pump = (): void => {
        while (sent < 1024 && !res.destroyed) {
          sent += 1;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    });
    const response = await client().request({ url: crm.url, method: 'GET', timeoutMs: 10_000 });
    expect(response.bodyText).toHaveLength(65_536);
    expect(response.truncated).toBe(true);
    // the receiver had 16 MiB to send and could not finish: the client hung up
    expect(await closed.promise).toBe(false);
  });

  it('honours a smaller byte limit and keeps a body of exactly the limit whole', async () => {
    const crm = await receiver((_req, res) => res.writeHead(200).end('0123456789'));
    const http = client();
    expect(await http.request({ url: crm.url, timeoutMs: 5_000, maxResponseBytes: 4 })).toMatchObject({ bodyText: '0123', truncated: true });
    expect(await http.request({ url: crm.url, timeoutMs: 5_000, maxResponseBytes: 10 })).toMatchObject({
      bodyText: '0123456789',
      truncated: false,
    });
  });

  it('gives up on a receiver that never answers', async () => {
    const crm = await receiver(() => undefined);
    await expect(client().request({ url: crm.url, body: '{}', timeoutMs: 300 })).rejects.toMatchObject({ code: 'net.timeout' });
    expect(crm.received).toHaveLength(1);
  });

  it('counts the body in the deadline: a receiver that sends headers then stalls times out', async () => {
    const crm = await receiver((_req, res) => {
      res.writeHead(200);
      res.write('started');
    });
    await expect(client().request({ url: crm.url, body: '{}', timeoutMs: 300 })).rejects.toMatchObject({ code: 'net.timeout' });
  });

  it('reports a connection closed in the middle of the answer', async () => {
    const crm = await receiver((_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('only the beginning', () => res.socket?.destroy());
    });
    await expect(client().request({ url: crm.url, body: '{}', timeoutMs: 5_000 })).rejects.toMatchObject({
      code: 'net.connection_reset',
    });
  });

  it('reports a refused connection', async () => {
    const gone = await startReceiver(() => undefined);
    await gone.close();
    await expect(client().request({ url: gone.url, body: '{}', timeoutMs: 5_000 })).rejects.toMatchObject({
      code: 'net.connection_refused',
      message: `${gone.url} refused the connection`,
    });
  });
});

describe('safe HTTP client: forbidden destinations', () => {
  it.each(['http://127.0.0.1:{port}/', 'http://2130706433:{port}/', 'http://0177.0.0.1:{port}/', 'http://0x7f.1:{port}/', 'http://[::ffff:127.0.0.1]:{port}/'])(
    'refuses %s without sending anything when loopback is not allowed',
    async (template) => {
      const crm = await receiver((_req, res) => res.end('reached'));
      const http = client({ allowedNetworks: [] });
      await expect(http.request({ url: template.replace('{port}', String(crm.port)), timeoutMs: 5_000 })).rejects.toMatchObject({
        code: 'crm.url_forbidden_address',
        statusCode: 400,
      });
      expect(crm.received).toHaveLength(0);
    },
  );

  it.each(['http://10.0.0.1/', 'http://169.254.169.254/latest/meta-data/', 'http://100.100.100.200/', 'http://[fd00:ec2::254]/'])(
    'refuses the private or metadata literal %s before any connection',
    async (url) => {
      await expect(client().request({ url, timeoutMs: 5_000 })).rejects.toMatchObject({ code: 'crm.url_forbidden_address' });
    },
  );

  it('refuses plain http unless the client allows it', async () => {
    const crm = await receiver((_req, res) => res.end('reached'));
    await expect(client({ allowHttp: false }).request({ url: crm.url, timeoutMs: 5_000 })).rejects.toMatchObject({ code: 'crm.url_scheme' });
    expect(crm.received).toHaveLength(0);
  });

  it('refuses a host name that resolves to 127.0.0.1', async () => {
    const crm = await receiver((_req, res) => res.end('reached'));
    const lookup = scriptedLookup(['127.0.0.1']);
    const http = client({ allowedNetworks: [], lookup });
    await expect(http.request({ url: `http://crm.example.test:${crm.port}/`, timeoutMs: 5_000 })).rejects.toMatchObject({
      code: 'crm.url_forbidden_address',
      message: 'crm.example.test resolves to a private address; set CRM_ALLOWED_NETWORKS to allow it',
    });
    expect(lookup.calls).toEqual(['crm.example.test']);
    expect(crm.received).toHaveLength(0);
  });

  it('refuses a host name when one of its addresses is forbidden', async () => {
    const crm = await receiver((_req, res) => res.end('reached'));
    const http = client({ lookup: scriptedLookup(['127.0.0.1', '127.0.0.2']) });
    await expect(http.request({ url: `http://crm.example.test:${crm.port}/`, timeoutMs: 5_000 })).rejects.toMatchObject({
      code: 'crm.url_forbidden_address',
    });
    expect(crm.received).toHaveLength(0);
  });

  it('sends the host name in the Host header while connecting to the checked address', async () => {
    const crm = await receiver((_req, res) => res.end('ok'));
    const http = client({ lookup: scriptedLookup(['127.0.0.1']) });
    await http.request({ url: `http://crm.example.test:${crm.port}/hook`, timeoutMs: 5_000 });
    expect(crm.received[0]?.headers.host).toBe(`crm.example.test:${crm.port}`);
  });

  it('asks a rebinding resolver once and connects to the address it checked', async () => {
    // first answer: the allowed address; any later one: a loopback address the allowlist does not open
    const crm = await receiver((_req, res) => res.writeHead(200, { connection: 'close' }).end('ok'));
    const lookup = scriptedLookup(['127.0.0.1'], ['127.0.0.2']);
    const http = client({ lookup });
    const response = await http.request({ url: `http://rebind.example.test:${crm.port}/`, body: '{}', timeoutMs: 5_000 });
    expect(response.status).toBe(200);
    expect(lookup.calls).toEqual(['rebind.example.test']);
    expect(crm.received).toHaveLength(1);
    // the receiver closed that connection: the next one asks again, and the new answer is checked again
    await expect(http.request({ url: `http://rebind.example.test:${crm.port}/`, body: '{}', timeoutMs: 5_000 })).rejects.toMatchObject({
      code: 'crm.url_forbidden_address',
    });
    expect(lookup.calls).toHaveLength(2);
    expect(crm.received).toHaveLength(1);
  });
});
