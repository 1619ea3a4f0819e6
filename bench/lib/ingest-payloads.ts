// Meta-shaped Instagram messaging webhooks for the ingestion benchmark, planned (built and signed) before a step
// starts so the load generator spends no CPU on JSON or HMAC while it is measuring.
import { createHmac } from 'node:crypto';

/** Messaging items per POST, drawn uniformly from this list: mostly single messages, sometimes a burst of 10. */
export const BATCH_SIZES: readonly number[] = [1, 1, 1, 1, 1, 2, 2, 3, 5, 10];
export const MEAN_BATCH = BATCH_SIZES.reduce((a, b) => a + b, 0) / BATCH_SIZES.length;

const TEXTS = [
  'Hi! Is this still available?',
  'Do you ship to Lisbon? And how long does it usually take?',
  'Thanks 🙏',
  'Can I change the size of order #{n} to M please?',
  'Hello, I sent the payment yesterday but have not received a confirmation email yet. Could you check?',
  'What are your opening hours on Sunday?',
];

export type PlannedPost = { body: Buffer; signature: string; events: number; sendAtMs: number };
export type StepPlan = { tag: string; rate: number; seconds: number; posts: PlannedPost[]; events: number };

/** A small seeded generator (mulberry32) so every run offers the same traffic. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function accountIgIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => String(17841400000100000n + BigInt(i)));
}

export function signBody(body: Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** The mid of one messaging item; the step tag lets the analysis group events by step (`split_part(mid, '_', 2)`). */
export const benchMid = (tag: string, seq: number) => `aWdfYmVuY2g_${tag}_${seq}`;

/**
 * `rate` events per second for `seconds`: POSTs of 1–10 items (one account per POST, as Meta batches them), ~10 %
 * echoes of the business's own replies, the rest inbound customer messages. POST i is due when the events before it
 * have been offered at `rate`, so the offered event rate is exact whatever the batch sizes.
 */
export function planStep(opts: {
  tag: string;
  rate: number;
  seconds: number;
  accounts: readonly string[];
  customersPerAccount: number;
  secret: string;
  seed: number;
}): StepPlan {
  const rnd = seededRandom(opts.seed);
  const pick = <T>(list: readonly T[]): T => {
    const v = list[Math.floor(rnd() * list.length)];
    if (v === undefined) throw new Error('empty list');
    return v;
  };
  const total = Math.round(opts.rate * opts.seconds);
  const posts: PlannedPost[] = [];
  const baseTs = Date.now();
  let offered = 0;
  while (offered < total) {
    const size = Math.min(pick(BATCH_SIZES), total - offered);
    const sendAtMs = (offered / opts.rate) * 1000;
    const account = pick(opts.accounts);
    const items = Array.from({ length: size }, (_, k) => {
      const seq = offered + k;
      const customer = `99${account.slice(-3)}${String(Math.floor(rnd() * opts.customersPerAccount)).padStart(6, '0')}`;
      const ts = baseTs + Math.round(sendAtMs) + k;
      const text = pick(TEXTS).replace('{n}', String(seq));
      const mid = benchMid(opts.tag, seq);
      return rnd() < 0.1
        ? { sender: { id: account }, recipient: { id: customer }, timestamp: ts, message: { mid, text, is_echo: true } }
        : { sender: { id: customer }, recipient: { id: account }, timestamp: ts, message: { mid, text } };
    });
    const body = Buffer.from(JSON.stringify({ object: 'instagram', entry: [{ id: account, time: baseTs + Math.round(sendAtMs), messaging: items }] }));
    posts.push({ body, signature: signBody(body, opts.secret), events: size, sendAtMs });
    offered += size;
  }
  return { tag: opts.tag, rate: opts.rate, seconds: opts.seconds, posts, events: total };
}
