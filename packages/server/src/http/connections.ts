import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** How often, while the server closes, connections that carry no request are looked for and closed. */
const SWEEP_MS = 100;

/**
 * Closing the server waits for the requests under way, and for nothing else. Node's `closeIdleConnections` (Fastify's
 * `forceCloseConnections: 'idle'`) closes keep-alive connections between two requests, but not one that was opened and
 * has sent nothing yet: a browser's preconnect, a pool's spare connection, a webhook sender that connected just as
 * the server began to close. Such a socket kept `close()` waiting until its own timeout, 60–90 s: a `systemctl stop`
 * that hung for a minute and a half (and a test suite that did, now and then).
 *
 * So every connection counts its requests in flight, and from the moment closing begins (`beginClosing`) a connection
 * with none is closed, now and every SWEEP_MS until the server has closed: a request under way still gets its answer,
 * then its connection goes. A request whose first bytes were on their way when its connection was closed is refused
 * by the reset; the sender tries again (as Meta does), which it would have had to anyway: a closing server answers 503.
 */
export function trackRequestsPerConnection(server: Server): { beginClosing(): void } {
  const inFlight = new Map<Socket, number>();
  server.on('connection', (socket: Socket) => {
    inFlight.set(socket, 0);
    socket.once('close', () => inFlight.delete(socket));
  });
  server.on('request', (req, res) => {
    const socket = req.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const left = (inFlight.get(socket) ?? 1) - 1;
      if (inFlight.has(socket)) inFlight.set(socket, left);
    });
  });
  let sweeping: NodeJS.Timeout | undefined;
  const sweep = () => {
    for (const [socket, requests] of inFlight) if (requests === 0) socket.destroy();
  };
  server.once('close', () => clearInterval(sweeping));
  return {
    beginClosing() {
      if (sweeping) return;
      sweep();
      sweeping = setInterval(sweep, SWEEP_MS);
      sweeping.unref();
    },
  };
}
