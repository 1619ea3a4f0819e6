// Live updates under load: `clients` SSE streams (GET /api/v1/ui/events) open on one account while signed
// Meta webhooks with one customer message each are POSTed open-loop at `rate` events/s. For every (client, message)
// pair: the time from the POST's 200 (Meta's delivery acknowledged) to that client reading the event with the
// message's mid. The first second is a warm-up and is not counted.
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { cpuShare, cpuSnapshot, type CpuShare } from './cpu.ts';
import { signBody } from './ingest-payloads.ts';
import { percentile } from './stats.ts';

export type LiveSettings = { clients: number; rate: number; seconds: number; drainSeconds: number };
export type LiveResult = {
  clients: number;
  connected: number;
  offered: number;
  acked: number;
  shed: number;
  failed: number;
  /** (client, message) pairs expected and received, after the warm-up second. */
  expected: number;
  received: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Where the CPU went while the messages were posted (percent of one core). */
  cpu: CpuShare;
};

/** When a stream read each message (`performance.now()`, by sequence number; NaN until then). */
type Stream = { received: Float64Array; stop: () => void };

/**
 * Finds `"mid":"<prefix><n>"` in a byte stream, chunk by chunk, and reports each `n`: a search for the prefix's bytes
 * and the digits after it, with no text decoding or event parsing. A mid cut by a chunk boundary is found from the
 * few bytes kept of the previous chunk; a large chunk is never copied.
 */
export function midScanner(prefix: string, found: (seq: number) => void): (chunk: Buffer) => void {
  const needle = Buffer.from(`"mid":"${prefix}`);
  const tail = needle.length + 20; // enough for the prefix, a number and its closing quote
  let carry: Buffer | null = null; // the unread end of the previous chunk: part of a prefix, or an unfinished mid

  /** Reports the mids beginning in [from, limit) of `buf`: where reading stopped, and where an unfinished one begins. */
  function read(buf: Buffer, from: number, limit: number): { end: number; open: number } {
    let end = from;
    for (;;) {
      const hit = buf.indexOf(needle, end);
      if (hit < 0 || hit >= limit) return { end, open: -1 };
      let i = hit + needle.length;
      let seq = 0;
      for (let d = buf[i] ?? 0; i < buf.length && d >= 0x30 && d <= 0x39; d = buf[++i] ?? 0) seq = seq * 10 + d - 0x30;
      if (i >= buf.length) return { end, open: hit };
      if (buf[i] === 0x22 && i > hit + needle.length) found(seq);
      end = i;
    }
  }

  return (chunk) => {
    let buf = chunk;
    let from = 0;
    if (carry) {
      const head = chunk.length > tail ? Buffer.concat([carry, chunk.subarray(0, tail)]) : null;
      const first = head ? read(head, 0, carry.length) : null;
      if (head && first && first.open < 0) from = Math.max(0, first.end - carry.length);
      else buf = Buffer.concat([carry, chunk]); // a small chunk: read it with what was kept
    }
    const { end, open } = read(buf, from, buf.length);
    const keep = open >= 0 ? open : Math.max(end, buf.length - needle.length + 1);
    carry = keep < buf.length ? Buffer.from(buf.subarray(keep)) : null;
  };
}

/**
 * One SSE stream on a raw socket: the request is written by hand and the answer's bytes (headers, chunk sizes and
 * frames alike) go to `midScanner`, with no HTTP parsing or text decoding. A hundred of these share this process
 * with the POST generator on the measured machine, so the reader is kept as cheap as it can be: its cost is the
 * bench's, not Threadline's (a browser parses its stream on the user's own machine). A mid is never cut by chunked
 * framing: the server writes whole frames.
 */
function openStream(origin: string, token: string, midPrefix: string, messages: number): Promise<Stream | null> {
  const url = new URL(origin);
  // A typed array sized for the run, not a map: a hundred maps growing in step resized together, in the same
  // millisecond, and stalled this process (the POSTs and every reader with it) for about 100 ms.
  const received = new Float64Array(messages).fill(Number.NaN);
  return new Promise((resolve) => {
    // Reads land in one buffer kept for the stream, not a new one per read: a hundred streams read about 75 MB/s, and
    // allocating it made this process collect garbage for 30 to 90 ms at a time, during which nothing was read or
    // POSTed. Nothing keeps a reference into the buffer: `midScanner` copies the few bytes it carries over.
    const readBuffer = Buffer.allocUnsafe(64 * 1024);
    const socket = net.connect({
      host: url.hostname,
      port: Number(url.port),
      onread: {
        buffer: readBuffer,
        callback: (bytes) => {
          onData(readBuffer.subarray(0, bytes));
          return true;
        },
      },
    });
    socket.setNoDelay(true);
    let at = 0;
    const scan = midScanner(midPrefix, (seq) => {
      if (seq < messages && Number.isNaN(received[seq])) received[seq] = at;
    });
    let head: string | null = '';
    const onData = (chunk: Buffer) => {
      at = performance.now();
      if (head !== null) {
        head += chunk.toString('latin1');
        const endOfHead = head.indexOf('\r\n\r\n');
        if (endOfHead < 0) return;
        if (!/^HTTP\/1\.1 200 /.test(head)) {
          socket.destroy();
          resolve(null);
          return;
        }
        const rest = Buffer.from(head.slice(endOfHead + 4), 'latin1');
        head = null;
        resolve({ received, stop: () => socket.destroy() });
        scan(rest);
        return;
      }
      scan(chunk);
    };
    socket.on('error', () => resolve(null));
    socket.on('close', () => resolve(null));
    socket.write(`GET /api/v1/ui/events HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${token}\r\naccept: text/event-stream\r\n\r\n`);
  });
}

export async function runLiveUpdates(opts: {
  origin: string;
  token: string;
  appSecret: string;
  /** The Threadline process (its CPU share is reported). */
  serverPid: number | undefined;
  /** The account's Instagram id (webhook entry id) and IGSIDs of customers who already have conversations there. */
  igUserId: string;
  customers: string[];
  settings: LiveSettings;
}): Promise<LiveResult> {
  const { settings: s } = opts;
  const runId = Math.random().toString(36).slice(2, 8);
  const midPrefix = `aWdfbGl2ZQ_${runId}_`;
  const total = Math.round(s.rate * s.seconds);
  const streams: Stream[] = [];
  for (let i = 0; i < s.clients; i += 1) {
    const stream = await openStream(opts.origin, opts.token, midPrefix, total);
    if (stream) streams.push(stream);
  }
  await sleep(500);

  const warmup = Math.round(s.rate);
  const bodies = Array.from({ length: total }, (_, seq) => {
    const ts = Date.now() + Math.round((seq / s.rate) * 1000);
    const customer = opts.customers[seq % opts.customers.length] ?? '';
    const body = Buffer.from(
      JSON.stringify({
        object: 'instagram',
        entry: [{ id: opts.igUserId, time: ts, messaging: [{ sender: { id: customer }, recipient: { id: opts.igUserId }, timestamp: ts, message: { mid: `${midPrefix}${seq}`, text: `Live update ${seq}` } }] }],
      }),
    );
    return { body, signature: signBody(body, opts.appSecret) };
  });

  const pool = new Pool(opts.origin, { connections: 32, pipelining: 1, headersTimeout: 30_000, bodyTimeout: 30_000 });
  const ackedAt = new Float64Array(total).fill(Number.NaN); // when each POST was answered 200; NaN if it was not
  const inFlight = new Set<Promise<void>>();
  let shed = 0;
  let failed = 0;
  const cpuBefore = cpuSnapshot(opts.serverPid);
  const t0 = performance.now();
  // Bounded by the plan: one pass over `total` POSTs, each sent when due (shed when 256 are already in flight).
  for (let seq = 0; seq < total; ) {
    const now = performance.now() - t0;
    while (seq < total && (seq / s.rate) * 1000 <= now) {
      const item = bodies[seq];
      const mine = seq;
      seq += 1;
      if (!item) continue;
      if (inFlight.size >= 256) {
        shed += 1;
        continue;
      }
      const p = pool
        .request({ method: 'POST', path: '/webhooks/instagram', headers: { 'content-type': 'application/json', 'x-hub-signature-256': item.signature }, body: item.body })
        .then(
          async (res) => {
            await res.body.dump();
            if (res.statusCode === 200) ackedAt[mine] = performance.now();
            else failed += 1;
          },
          () => {
            failed += 1;
          },
        )
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await sleep(1);
  }
  await Promise.allSettled([...inFlight]);
  const cpu = cpuShare(cpuBefore, cpuSnapshot(opts.serverPid));

  // Wait (bounded) until every stream has every acknowledged message.
  const acked = [...ackedAt.keys()].filter((seq) => !Number.isNaN(ackedAt[seq]));
  const counted = acked.filter((seq) => seq >= warmup);
  const deadline = performance.now() + s.drainSeconds * 1000;
  while (performance.now() < deadline && streams.some((st) => counted.some((seq) => Number.isNaN(st.received[seq])))) await sleep(250);
  for (const st of streams) st.stop();
  await pool.close();

  const latencies: number[] = [];
  for (const st of streams) {
    for (const seq of counted) {
      const at = st.received[seq] ?? Number.NaN;
      const ack = ackedAt[seq] ?? Number.NaN;
      if (!Number.isNaN(at) && !Number.isNaN(ack)) latencies.push(at - ack);
    }
  }
  latencies.sort((a, b) => a - b);
  return {
    clients: s.clients,
    connected: streams.length,
    offered: total,
    acked: acked.length,
    shed,
    failed,
    expected: counted.length * streams.length,
    received: latencies.length,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? Number.NaN,
    cpu,
  };
}
