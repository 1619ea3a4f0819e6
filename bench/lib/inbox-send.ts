// The send part of the inbox benchmark: an in-process Meta simulator (like packages/server/test/sim-world.ts wires
// it), customers who have just written (so the 24-hour window is open), then messages POSTed to Threadline's inbox
// API and followed until they are sent. Latencies queued → sent are read from the database afterwards.
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { createSimulator, SimClient, type Simulator } from '../../packages/instagram-sim/src/index.ts';
import { callJson } from './inbox-http.ts';
import type { InboxDb } from './inbox-db.ts';
import { percentile } from './stats.ts';

export type SimSetup = { sim: Simulator; control: SimClient; url: string; appId: string; igId: string; username: string; token: string };

export async function startSimulator(appSecret: string): Promise<SimSetup> {
  const sim = createSimulator({ deliveryTickMs: 0 });
  const url = await sim.listen(0);
  const control = new SimClient(url);
  const app = await control.createApp({ secret: appSecret });
  const username = 'bench_sim_shop';
  const account = await control.createAccount({ username, name: 'Bench Sim Shop' });
  const { access_token: token } = await control.issueToken({ appId: app.id, accountId: account.igId });
  await control.subscribe({ appId: app.id, accountId: account.igId });
  return { sim, control, url, appId: app.id, igId: account.igId, username, token };
}

export type SendSettings = { customers: number; messages: number; concurrency: number; maxSeconds: number; log: (line: string) => void };
export type SendRun = {
  ids: string[];
  postP50: number;
  postP95: number;
  postP99: number;
  rejected: Record<string, number>;
  postSeconds: number;
  /** From the first POST to the last message seen sent (or the deadline). */
  wallSeconds: number;
  finished: boolean;
};

const listSchema = z.object({ conversations: z.array(z.object({ id: z.string() })), next_cursor: z.string().nullable() });
const messagesSchema = z.object({ messages: z.array(z.object({ id: z.string(), status: z.string() })) });
const sentSchema = z.object({ id: z.string() });

async function benchConversations(origin: string, token: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page += 1) {
    const { status, json } = await callJson(origin, 'GET', `/api/v1/ui/conversations?limit=100${cursor ? `&cursor=${cursor}` : ''}`, token);
    if (status !== 200) throw new Error(`conversation list answered ${status}`);
    const list = listSchema.parse(json);
    // The simulator's account holds only the bench customers' conversations (their usernames come later, with the
    // profile fetch, so they cannot be told apart by name yet).
    for (const c of list.conversations) ids.push(c.id);
    cursor = list.next_cursor;
    if (!cursor) break;
  }
  return ids;
}

/** Customers write, Threadline ingests their messages, then `messages` replies are POSTed and followed to `sent`. */
export async function runSendTest(origin: string, world: SimSetup, verifyToken: string, senderToken: string, s: SendSettings): Promise<SendRun> {
  await world.control.setWebhook(world.appId, { callbackUrl: `${origin}/webhooks/instagram`, verifyToken });
  const prefix = 'bench_customer_';
  for (let i = 0; i < s.customers; i += 1) {
    const customer = await world.control.createCustomer({ username: `${prefix}${i}`, name: `Customer ${i}` });
    await world.control.sendText(customer.igsid, world.igId, `Hello, I would like to order item ${i}`);
  }
  let conversations: string[] = [];
  const ingestDeadline = performance.now() + 120_000;
  while (performance.now() < ingestDeadline) {
    conversations = await benchConversations(origin, senderToken);
    if (conversations.length >= s.customers) break;
    await sleep(250);
  }
  if (conversations.length < s.customers) throw new Error(`only ${conversations.length} of ${s.customers} customer conversations were ingested within 120 s`);
  s.log(`  send: ${conversations.length} conversations with an open window; posting ${s.messages} messages, ${s.concurrency} at a time`);

  const ids: string[] = [];
  const postTimes: number[] = [];
  const rejected: Record<string, number> = {};
  const byConversation = new Map<string, Set<string>>();
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < s.messages) {
      const i = next;
      next += 1;
      const conversationId = conversations[i % conversations.length] ?? '';
      const t0 = performance.now();
      const { status, json } = await callJson(origin, 'POST', `/api/v1/ui/conversations/${conversationId}/messages`, senderToken, { text: `Bench reply ${i}: your order is on its way` });
      postTimes.push(performance.now() - t0);
      if (status !== 202) {
        rejected[String(status)] = (rejected[String(status)] ?? 0) + 1;
        continue;
      }
      const { id } = sentSchema.parse(json);
      ids.push(id);
      const set = byConversation.get(conversationId) ?? new Set<string>();
      set.add(id);
      byConversation.set(conversationId, set);
    }
  };
  await Promise.all(Array.from({ length: s.concurrency }, () => worker()));
  const postSeconds = (performance.now() - started) / 1000;

  // Follow every conversation until none of its bench messages is queued or sending (or the deadline passes).
  const deadline = started + s.maxSeconds * 1000;
  const pending = new Map(byConversation);
  let lastDone = performance.now();
  while (pending.size > 0 && performance.now() < deadline) {
    for (const [conversationId, mine] of [...pending]) {
      const { status, json } = await callJson(origin, 'GET', `/api/v1/ui/conversations/${conversationId}/messages?limit=100`, senderToken);
      if (status !== 200) throw new Error(`message list answered ${status}`);
      const open = messagesSchema.parse(json).messages.filter((m) => mine.has(m.id) && (m.status === 'queued' || m.status === 'sending'));
      if (open.length === 0) {
        pending.delete(conversationId);
        lastDone = performance.now();
      }
    }
    if (pending.size > 0) await sleep(200);
  }
  postTimes.sort((a, b) => a - b);
  return {
    ids,
    postP50: percentile(postTimes, 50),
    postP95: percentile(postTimes, 95),
    postP99: percentile(postTimes, 99),
    rejected,
    postSeconds,
    wallSeconds: (lastDone - started) / 1000,
    finished: pending.size === 0,
  };
}

export type SendLatency = { statuses: Record<string, number>; sent: number; p50: number; p95: number; p99: number; max: number; throughput: number };

/** queued → sent per message (messages.created_at → updated_at of a `sent` row), and sent messages per second overall. */
export async function sendLatency(sql: InboxDb, ids: string[]): Promise<SendLatency> {
  const rows = z
    .array(z.object({ status: z.string(), ms: z.coerce.number(), created: z.coerce.number(), updated: z.coerce.number() }))
    .parse(
      await sql.query(
        `select status, extract(epoch from updated_at - created_at) * 1000 as ms,
                extract(epoch from created_at) * 1000 as created, extract(epoch from updated_at) * 1000 as updated
         from messages where id = any($1::uuid[])`,
        [ids],
      ),
    );
  const statuses: Record<string, number> = {};
  for (const r of rows) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  const sent = rows.filter((r) => r.status === 'sent');
  const ms = sent.map((r) => r.ms).sort((a, b) => a - b);
  const first = Math.min(...rows.map((r) => r.created));
  const last = Math.max(...sent.map((r) => r.updated));
  return {
    statuses,
    sent: sent.length,
    p50: percentile(ms, 50),
    p95: percentile(ms, 95),
    p99: percentile(ms, 99),
    max: ms.at(-1) ?? Number.NaN,
    throughput: sent.length > 0 && last > first ? sent.length / ((last - first) / 1000) : 0,
  };
}
