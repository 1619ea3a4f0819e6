import fs from 'node:fs';
import net from 'node:net';
import { z } from 'zod';

/**
 * A consistent snapshot of the embedded database while Threadline runs. PGlite is one process's memory: another
 * process cannot open its directory (the lock refuses it) and a copy of the files taken while it writes is torn.
 * So the process holding the database listens on a Unix socket beside it (mode 0600: only its own user, or root,
 * can connect) and answers a snapshot request with PGlite's own `dumpDataDir` (a gzipped tar of the data
 * directory, taken between two statements). `threadline backup` and `db copy` ask it, and open the directory
 * themselves only when nothing runs.
 */

/** The socket beside the data directory (not inside it: the snapshot is a tar of that directory). */
export const snapshotSocketPath = (pgliteDir: string) => `${pgliteDir.replace(/\/+$/, '')}.sock`;

/** Unix socket paths are limited to about 107 bytes; a longer data directory path cannot have one. */
const MAX_SOCKET_PATH = 100;

export type SnapshotServer = { close(): Promise<void> };

export async function serveSnapshots(pgliteDir: string, dump: () => Promise<Blob>, onError: (error: unknown) => void): Promise<SnapshotServer | null> {
  const socketPath = snapshotSocketPath(pgliteDir);
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) return null;
  // We hold the directory's lock, so a socket file left here is a dead process's.
  fs.rmSync(socketPath, { force: true });
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    let request = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      request += chunk;
      if (!request.includes('\n')) return;
      socket.removeAllListeners('data');
      if (request.trim() !== 'snapshot') return void socket.end(`${JSON.stringify({ ok: false, error: 'unknown request' })}\n`);
      dump().then(
        async (blob) => {
          const bytes = Buffer.from(await blob.arrayBuffer());
          socket.write(`${JSON.stringify({ ok: true, bytes: bytes.length })}\n`);
          socket.end(bytes);
        },
        (error: unknown) => {
          onError(error);
          socket.end(`${JSON.stringify({ ok: false, error: 'the snapshot failed; see the server log' })}\n`);
        },
      );
    });
  });
  server.on('error', onError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Connecting needs write permission on the socket: the usual umask already keeps others out; 0600 keeps the group out.
  fs.chmodSync(socketPath, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        fs.rmSync(socketPath, { force: true });
      }),
  };
}

const headerSchema = z.object({ ok: z.boolean(), bytes: z.number().optional(), error: z.string().optional() });

/**
 * Asks the process that has the database open for a snapshot. Answers null when no process listens (nothing runs,
 * or it runs without a socket): the caller then opens the directory itself, and the lock says whether it may.
 */
export async function requestSnapshot(pgliteDir: string): Promise<Buffer | null> {
  const socketPath = snapshotSocketPath(pgliteDir);
  if (!fs.existsSync(socketPath)) return null;
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    const chunks: Buffer[] = [];
    socket.on('connect', () => socket.write('snapshot\n'));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED' || error.code === 'ENOENT') resolve(null);
      else reject(error);
    });
    socket.on('end', () => {
      const all = Buffer.concat(chunks);
      const newline = all.indexOf(0x0a);
      if (newline < 0) return reject(new Error('The running Threadline process closed the snapshot request without an answer.'));
      const header = headerSchema.parse(JSON.parse(all.subarray(0, newline).toString('utf8')));
      const body = all.subarray(newline + 1);
      if (!header.ok) return reject(new Error(`The running Threadline process refused the snapshot: ${header.error ?? 'no reason given'}`));
      if (body.length !== header.bytes) return reject(new Error(`The snapshot was cut short (${body.length} of ${header.bytes} bytes).`));
      resolve(body);
    });
  });
}
