import type { LookupAddress } from 'node:dns';
import { createServer as createTlsServer } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { parseCidrList } from './ip-policy.ts';
import { createCheckedLookup, createPinnedConnector } from './pinned-connector.ts';
import { createSafeHttpClient } from './safe-http.ts';
import { scriptedLookup, startReceiver } from './test-receivers.ts';

function connectError(hostname: string): Promise<unknown> {
  const connect = createPinnedConnector({ allowedNetworks: [], connectTimeoutMs: 1_000 });
  return new Promise((resolve) => {
    connect({ hostname, host: `${hostname}:9`, protocol: 'http:', port: '9' }, (error, socket) => {
      socket?.destroy();
      resolve(error);
    });
  });
}

function lookupResult(
  lookup: ReturnType<typeof createCheckedLookup>,
  options: { all?: boolean; family?: number },
): Promise<{ error: Error | null; address: string | LookupAddress[]; family: number | undefined }> {
  return new Promise((resolve) => {
    lookup('crm.example.test', options, (error, address, family) => resolve({ error, address, family }));
  });
}

describe('pinned connector', () => {
  it('refuses an IP-literal host itself, even when no URL check ran before it', async () => {
    await expect(connectError('127.0.0.1')).resolves.toMatchObject({ code: 'crm.url_forbidden_address' });
    await expect(connectError('169.254.169.254')).resolves.toMatchObject({ code: 'crm.url_forbidden_address' });
    await expect(connectError('[::1]')).resolves.toMatchObject({ code: 'crm.url_forbidden_address' });
  });

  it('connects to an allowlisted literal', async () => {
    const crm = await startReceiver((_req, res) => res.end());
    try {
      const connect = createPinnedConnector({ allowedNetworks: parseCidrList('127.0.0.1'), connectTimeoutMs: 1_000 });
      const error = await new Promise((resolve) => {
        connect({ hostname: '127.0.0.1', host: `127.0.0.1:${crm.port}`, protocol: 'http:', port: String(crm.port) }, (e, socket) => {
          socket?.destroy();
          resolve(e);
        });
      });
      expect(error).toBeNull();
    } finally {
      await crm.close();
    }
  });
});

describe('checked lookup', () => {
  const allowed = parseCidrList('127.0.0.1/32,::1/128');

  it('hands Node every checked address when asked for all', async () => {
    const lookup = createCheckedLookup({ allowedNetworks: allowed, lookup: scriptedLookup(['127.0.0.1', '::1']) });
    const result = await lookupResult(lookup, { all: true });
    expect(result.address).toEqual([
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ]);
  });

  it('hands Node one address of the family asked for', async () => {
    const lookup = createCheckedLookup({ allowedNetworks: allowed, lookup: scriptedLookup(['127.0.0.1', '::1']) });
    expect(await lookupResult(lookup, { family: 6 })).toMatchObject({ error: null, address: '::1', family: 6 });
    expect(await lookupResult(lookup, {})).toMatchObject({ error: null, address: '127.0.0.1', family: 4 });
  });

  it('fails when the family asked for has no address', async () => {
    const lookup = createCheckedLookup({ allowedNetworks: allowed, lookup: scriptedLookup(['127.0.0.1']) });
    expect((await lookupResult(lookup, { family: 6 })).error).toMatchObject({ code: 'crm.url_unresolvable' });
  });

  it('passes the refusal to Node as the lookup error', async () => {
    const lookup = createCheckedLookup({ allowedNetworks: [], lookup: scriptedLookup(['10.1.1.1']) });
    expect((await lookupResult(lookup, { all: true })).error).toMatchObject({ code: 'crm.url_forbidden_address' });
  });
});

describe('TLS to a pinned address', () => {
  it('sends the host name as SNI while connecting to the checked address', async () => {
    const serverNames: string[] = [];
    // no certificate on purpose: the SNI callback sees the name, then the handshake is refused
    const server = createTlsServer({
      SNICallback: (name, callback) => {
        serverNames.push(name);
        callback(new Error('no certificate for this test'));
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('TLS server has no TCP address');
    const port = address.port;
    const http = createSafeHttpClient({
      allowedNetworks: parseCidrList('127.0.0.1/32'),
      connectTimeoutMs: 2_000,
      lookup: scriptedLookup(['127.0.0.1']),
    });
    try {
      const attempt = http.request({ url: `https://crm.example.test:${port}/hook`, body: '{}', timeoutMs: 5_000 });
      // the server hangs up during the handshake
      await expect(attempt).rejects.toMatchObject({ code: 'net.connection_reset' });
      expect(serverNames).toEqual(['crm.example.test']);
    } finally {
      await http.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('reports a TLS failure when the receiver does not speak TLS', async () => {
    const crm = await startReceiver((_req, res) => res.end('plain http'));
    const http = createSafeHttpClient({ allowedNetworks: parseCidrList('127.0.0.1/32'), connectTimeoutMs: 2_000 });
    try {
      await expect(http.request({ url: `https://127.0.0.1:${crm.port}/`, body: '{}', timeoutMs: 5_000 })).rejects.toMatchObject({
        code: 'net.tls_failed',
      });
    } finally {
      await http.close();
      await crm.close();
    }
  });
});
