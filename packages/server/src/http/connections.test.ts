import http from 'node:http';
import net from 'node:net';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createHttpServer } from './server.ts';

const once = <T>(emitter: NodeJS.EventEmitter, event: string) => new Promise<T>((resolve) => emitter.once(event, resolve));

describe('closing the HTTP server', () => {
  // Before: a connection that had sent nothing kept close() waiting for its timeout (60–90 s), beyond this test's bound.
  it('closes connections that carry no request at once, and answers the request under way before closing', async () => {
    const app = createHttpServer({ logger: pino({ level: 'silent' }), bodyLimitBytes: 1024, trustProxy: false, hsts: false });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let arrived!: () => void;
    const slowArrived = new Promise<void>((resolve) => (arrived = resolve));
    app.get('/slow', async () => {
      arrived();
      await released;
      return { ok: true };
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as net.AddressInfo;

    // a connection that sends nothing (a preconnect), and one between two requests of a keep-alive client
    const silent = net.connect(port, '127.0.0.1');
    silent.on('error', () => undefined);
    await once(silent, 'connect');
    const silentClosed = once(silent, 'close');

    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/slow', agent: new http.Agent({ keepAlive: true }) }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
    });
    await slowArrived;

    const closed = app.close();
    await silentClosed; // closed while the other request is still under way
    release();
    expect(await answer).toEqual({ status: 200, body: '{"ok":true}' });
    await closed;
    expect(app.server.listening).toBe(false);
  }, 20_000);
});
