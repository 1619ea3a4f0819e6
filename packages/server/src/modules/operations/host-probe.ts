import { lookup } from 'node:dns/promises';
import net from 'node:net';
import tls from 'node:tls';
import type { HostProbe } from './doctor.ts';

const TIMEOUT_MS = 5_000;

/** Opens a TCP connection (and a verified TLS session for https) to the URL's host, then closes it. */
function connect(url: URL): Promise<'ok' | Error> {
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    const socket =
      url.protocol === 'https:'
        ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, timeout: TIMEOUT_MS })
        : net.connect({ host, port, timeout: TIMEOUT_MS });
    const done = (result: 'ok' | Error) => {
      socket.destroy();
      resolve(result);
    };
    socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => done('ok'));
    socket.once('timeout', () => done(new Error(`no connection within ${TIMEOUT_MS / 1000} s`)));
    socket.once('error', (error: Error) => done(new Error(url.protocol === 'https:' ? `TLS: ${error.message}` : error.message)));
  });
}

/** The server's clock, from the Date header of any answer (Meta answers an unauthenticated GET with an error). */
async function serverDate(url: URL): Promise<Date | null> {
  try {
    const res = await fetch(url, { method: 'GET', signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'manual' });
    await res.body?.cancel();
    const date = res.headers.get('date');
    return date ? new Date(date) : null;
  } catch {
    return null;
  }
}

/** DNS, then a TCP/TLS handshake, then the server's Date: each Meta host Threadline calls. */
export async function probeHost(raw: string): Promise<HostProbe> {
  const url = new URL(raw);
  let dns: string[] | Error;
  try {
    dns = (await lookup(url.hostname.replace(/^\[|\]$/g, ''), { all: true })).map((a) => a.address);
  } catch (error) {
    dns = error instanceof Error ? error : new Error(String(error));
  }
  if (dns instanceof Error) return { url: url.origin, dns, connect: dns, date: null };
  const connected = await connect(url);
  return { url: url.origin, dns, connect: connected, date: connected === 'ok' ? await serverDate(url) : null };
}
