// A small TCP proxy between Threadline and PostgreSQL (for database tests and the fault suite) that hurts the
// connections through it the ways networks and database servers do: refuse new connections (the server is down),
// reset or close the ones open (a restart, a failover, a pooler dropping them), or stop forwarding for a while (a
// stall, a network blip).
import net from 'node:net';

export type ChaosProxy = {
  port: number;
  /** Connections open through the proxy now. */
  open(): number;
  /** Stops listening: new connections are refused (ECONNREFUSED), as by a server that is down. */
  refuse(): Promise<void>;
  /** Listens again on the same port. */
  accept(): Promise<void>;
  /** Ends every open connection with a reset (RST), as a crashed server or a failover does. */
  resetAll(): number;
  /** Closes every open connection cleanly (FIN), as a pooler or a proxy restart does. */
  dropAll(): number;
  /** Resets about `fraction` of the open connections, picked at random. */
  resetSome(fraction: number): number;
  /** Forwards nothing, either way, on any connection for `ms`; then everything held back goes through. */
  stall(ms: number): Promise<void>;
  close(): Promise<void>;
};

type Pair = { client: net.Socket; server: net.Socket };

export async function startChaosProxy(target: { host: string; port: number }): Promise<ChaosProxy> {
  const pairs = new Set<Pair>();
  let stalled = false;
  /** per socket, the chunks read during a stall, delivered (in order) when it ends */
  const heldBack = new Map<net.Socket, (() => void)[]>();

  const pipe = (from: net.Socket, to: net.Socket, pair: Pair) => {
    from.on('data', (chunk: Buffer) => {
      if (stalled) {
        from.pause();
        const queue = heldBack.get(from) ?? [];
        queue.push(() => {
          if (!to.destroyed) to.write(chunk);
          from.resume();
        });
        heldBack.set(from, queue);
        return;
      }
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    });
    from.on('end', () => to.end());
    from.on('error', () => to.destroy());
    from.on('close', () => {
      to.destroy();
      pairs.delete(pair);
    });
  };

  const onConnection = (client: net.Socket) => {
    const server = net.connect(target.port, target.host);
    const pair = { client, server };
    pairs.add(pair);
    client.setNoDelay(true);
    server.setNoDelay(true);
    pipe(client, server, pair);
    pipe(server, client, pair);
  };

  let listener: net.Server = net.createServer(onConnection);
  const listen = (srv: net.Server, port: number) =>
    new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', () => {
        srv.removeListener('error', reject);
        resolve();
      });
    });
  await listen(listener, 0);
  const address = listener.address();
  if (!address || typeof address === 'string') throw new Error('the chaos proxy has no port');
  const port = address.port;

  const stop = (srv: net.Server) => new Promise<void>((resolve) => srv.close(() => resolve()));

  function releaseHeld(): void {
    const held = [...heldBack.values()];
    heldBack.clear();
    for (const queue of held) for (const release of queue) release();
  }

  return {
    port,
    open: () => pairs.size,
    async refuse() {
      if (!listener.listening) return;
      // the port stops accepting at once; close's callback would wait for the open connections to end
      listener.close();
    },
    async accept() {
      if (listener.listening) return;
      listener = net.createServer(onConnection);
      // the port was ours a moment ago; retry briefly should the OS hold it
      for (let attempt = 0; ; attempt += 1) {
        try {
          await listen(listener, port);
          return;
        } catch (error) {
          if (attempt >= 20) throw error;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    },
    resetAll() {
      const n = pairs.size;
      for (const pair of [...pairs]) {
        pair.client.resetAndDestroy();
        pair.server.resetAndDestroy();
      }
      return n;
    },
    dropAll() {
      const n = pairs.size;
      for (const pair of [...pairs]) {
        pair.client.end();
        pair.server.end();
        setTimeout(() => {
          pair.client.destroy();
          pair.server.destroy();
        }, 200).unref();
      }
      return n;
    },
    resetSome(fraction) {
      let n = 0;
      for (const pair of [...pairs]) {
        if (Math.random() >= fraction) continue;
        pair.client.resetAndDestroy();
        pair.server.resetAndDestroy();
        n += 1;
      }
      return n;
    },
    async stall(ms) {
      stalled = true;
      await new Promise((r) => setTimeout(r, ms));
      stalled = false;
      releaseHeld();
    },
    async close() {
      for (const pair of [...pairs]) {
        pair.client.destroy();
        pair.server.destroy();
      }
      if (listener.listening) await stop(listener);
    },
  };
}
