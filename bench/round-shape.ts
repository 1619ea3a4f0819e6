// What the shape of a round costs (decision 0013): the same reads and writes for a batch of POSTs, sent as eleven
// round trips in a transaction (begin, routing read, conversation locks, messages, aggregates with the CRM sequence,
// a lookup of waiting events, realtime log with its NOTIFY, the CRM payload's parts, CRM deliveries, raw rows,
// commit: the shape of today's round) or as one statement of CTEs (the shape decision 0013 proposes). Both write the
// same rows (the conversation once, where today's round updates it twice), so the difference is the round trips.
// The tables are a small stand-in for Threadline's, not its schema: this measures the round's shape, not Threadline.
// One pg client, as a round holds one connection; rounds at a fixed rate, the two shapes alternated twice after a
// warm-up, each printing round time p50/p90/p99 and CPU per round of this process and of its PostgreSQL backend, then
// the ratio of one statement to eleven round trips.
// Settings (environment): BENCH_PG_URL (default postgres://root@127.0.0.1:5432/postgres, on this machine: a fresh
// database is made and dropped, and the backend's CPU read from /proc), BENCH_ROUND_RATE rounds a second (55, as one
// `serve` at 200 events/s), BENCH_ROUND_ITEMS POSTs per round (4), BENCH_ROUND_SECONDS per measurement (15),
// BENCH_ROUND_BUSY processes that keep the machine busy while it measures (0; each spins 1 ms, then sleeps 2 ms or
// more: 2 of them take up to two thirds of a core, about what bench:crm's load, receiver and forwarder take at 200
// events/s).
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { processTicks, TICKS_PER_SECOND } from './lib/cpu.ts';
import { benchDatabaseOrSkip } from './lib/ingest-db.ts';
import { readRoundBenchConfig } from './lib/round-config.ts';
import { percentile, table } from './lib/stats.ts';

const config = readRoundBenchConfig();

type Item = { conversationId: string; accountId: string; igUserId: string; mid: string };
type Round = (client: pg.Client, items: Item[]) => Promise<void>;

const SCHEMA = `
create table accounts (id uuid primary key default gen_random_uuid(), ig_user_id text unique not null, name text);
create table conversations (id uuid primary key default gen_random_uuid(), account_id uuid not null references accounts,
  last_message_at timestamptz, message_count int not null default 0, crm_sequence int not null default 0, preview text);
create table messages (id uuid primary key default gen_random_uuid(), conversation_id uuid not null references conversations,
  mid text unique not null, text text, created_at timestamptz not null default now());
create table realtime_events (id bigserial primary key, account_id uuid not null, payload jsonb not null);
create table crm_deliveries (id text primary key, conversation_id uuid not null, sequence int not null, payload jsonb not null,
  status text not null, next_attempt_at timestamptz not null);
create table webhook_events (id bigserial primary key, body bytea not null, status text not null);
insert into accounts (ig_user_id, name) select 'ig' || g, 'account ' || g from generate_series(1, 10) g;
insert into conversations (account_id) select id from accounts, generate_series(1, 100);`;

const BODY = Buffer.from('{"object":"instagram","entry":[]}');

/** Today's shape: a transaction of eleven round trips, each statement waiting for the one before. */
const elevenRoundTrips: Round = async (c, items) => {
  const conversations = items.map((i) => i.conversationId);
  await c.query('begin');
  await c.query('select id, name from accounts where ig_user_id = any($1::text[])', [items.map((i) => i.igUserId)]);
  await c.query('select id from conversations where id = any($1::uuid[]) order by id for update', [conversations]);
  await c.query('insert into messages (conversation_id, mid, text) select * from unnest($1::uuid[], $2::text[], $3::text[])', [conversations, items.map((i) => i.mid), items.map(() => 'hello')]);
  const updated = await c.query<{ id: string; sequence: number }>(
    `update conversations c set message_count = c.message_count + 1, last_message_at = now(), preview = v.p, crm_sequence = c.crm_sequence + 1
     from unnest($1::uuid[], $2::text[]) v(id, p) where c.id = v.id returning c.id, c.crm_sequence as sequence`,
    [conversations, items.map(() => 'hello')],
  );
  await c.query('select mid from messages where mid = any($1::text[])', [items.map((i) => `${i.mid}.reply`)]);
  await c.query(
    `with stored as (insert into realtime_events (account_id, payload) select a, jsonb_build_object('mid', m) from unnest($1::uuid[], $2::text[]) v(a, m) returning id)
     select pg_notify('round_shape', max(id)::text) from stored`,
    [items.map((i) => i.accountId), items.map((i) => i.mid)],
  );
  await c.query('select c.id, c.preview, m.id as message_id from conversations c join messages m on m.conversation_id = c.id where m.mid = any($1::text[])', [items.map((i) => i.mid)]);
  const sequence = new Map(updated.rows.map((r) => [r.id, r.sequence]));
  await c.query('insert into crm_deliveries (id, conversation_id, sequence, payload, status, next_attempt_at) select * from unnest($1::text[], $2::uuid[], $3::int[], $4::jsonb[], $5::text[], $6::timestamptz[])', [
    items.map((i) => i.mid),
    conversations,
    items.map((i) => sequence.get(i.conversationId) ?? 0),
    items.map((i) => JSON.stringify({ mid: i.mid, text: 'hello' })),
    items.map(() => 'pending'),
    items.map(() => new Date()),
  ]);
  await c.query('insert into webhook_events (body, status) select * from unnest($1::bytea[], $2::text[])', [items.map(() => BODY), items.map(() => 'processed')]);
  await c.query('commit');
};

/** Decision 0013's shape: the same reads and writes as one statement of CTEs, its own transaction. */
const oneStatement: Round = async (c, items) => {
  await c.query(
    `with v as (select * from unnest($1::uuid[], $2::uuid[], $3::text[], $4::bytea[], $5::text[]) v(conversation_id, account_id, mid, body, ig_user_id)),
     a as (select id, name from accounts where ig_user_id in (select ig_user_id from v)),
     l as (select id from conversations where id in (select conversation_id from v) order by id for update),
     m as (insert into messages (conversation_id, mid, text) select conversation_id, mid, 'hello' from v returning id, conversation_id, mid),
     cu as (update conversations c set message_count = c.message_count + 1, last_message_at = now(), preview = 'hello',
            crm_sequence = c.crm_sequence + 1 from v where c.id = v.conversation_id returning c.id, c.preview, c.crm_sequence),
     waiting as (select mid from messages where mid in (select mid || '.reply' from v)),
     r as (insert into realtime_events (account_id, payload) select account_id, jsonb_build_object('mid', mid) from v returning id),
     parts as (select cu.id, cu.preview, cu.crm_sequence, m.id as message_id, m.mid from cu join m on m.conversation_id = cu.id),
     d as (insert into crm_deliveries (id, conversation_id, sequence, payload, status, next_attempt_at)
           select mid, id, crm_sequence, jsonb_build_object('mid', mid, 'text', 'hello'), 'pending', now() from parts returning id),
     w as (insert into webhook_events (body, status) select body, 'processed' from v returning id)
     select (select count(*) from a) as accounts, (select count(*) from l) as locked, (select count(*) from waiting) as waiting,
            (select pg_notify('round_shape', max(id)::text) from r) as notified, (select count(*) from d) as deliveries,
            (select count(*) from w) as raw`,
    [items.map((i) => i.conversationId), items.map((i) => i.accountId), items.map((i) => i.mid), items.map(() => BODY), items.map((i) => i.igUserId)],
  );
};

/** CPU time of a process in ms (utime + stime from /proc, Linux). */
const cpuMs = (pid: number) => ((processTicks(pid)?.ticks ?? Number.NaN) * 1000) / TICKS_PER_SECOND;

type Result = { shape: string; p50: number; p90: number; p99: number; ownCpu: number; pgCpu: number };

type Conversation = { id: string; account_id: string; ig_user_id: string };

async function measure(client: pg.Client, backendPid: number, shape: string, round: Round, conversations: Conversation[], tag: string, seconds: number): Promise<Result> {
  const rounds = Math.round(config.rate * seconds);
  const times: number[] = [];
  let n = 0;
  const pg0 = cpuMs(backendPid);
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  for (let r = 0; r < rounds; r += 1) {
    const wait = t0 + (r * 1000) / config.rate - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const items = Array.from({ length: config.items }, () => {
      const conversation = conversations[(n * 7) % conversations.length] as Conversation;
      n += 1;
      return { conversationId: conversation.id, accountId: conversation.account_id, igUserId: conversation.ig_user_id, mid: `${tag}.${n}` };
    });
    const started = performance.now();
    await round(client, items);
    times.push(performance.now() - started);
  }
  const own = process.cpuUsage(own0);
  times.sort((a, b) => a - b);
  return {
    shape,
    p50: percentile(times, 50),
    p90: percentile(times, 90),
    p99: percentile(times, 99),
    ownCpu: (own.user + own.system) / 1000 / rounds,
    pgCpu: (cpuMs(backendPid) - pg0) / rounds,
  };
}

async function main() {
  const database = await benchDatabaseOrSkip(config.pgAdminUrl);
  if (!database) return;
  const busy: ChildProcess[] = Array.from({ length: config.busy }, () => fork(fileURLToPath(import.meta.url), ['busy'], { stdio: 'inherit' }));
  const client = new pg.Client({ connectionString: database.url, application_name: 'threadline-bench' });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query(SCHEMA);
    const conversations = (await client.query<Conversation>('select c.id, c.account_id, a.ig_user_id from conversations c join accounts a on a.id = c.account_id')).rows;
    const backendPid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid ?? 0;
    console.log(`\n## Round shape: ${config.rate} rounds/s of ${config.items} POSTs, ${config.seconds} s each, ${config.busy} busy processes`);
    // warm-up, not counted: both shapes, so plans, caches and the JIT are warm for either
    await measure(client, backendPid, 'warm', elevenRoundTrips, conversations, 'warm-eleven', 2);
    await measure(client, backendPid, 'warm', oneStatement, conversations, 'warm-one', 2);
    const results: Result[] = [];
    for (let pass = 1; pass <= 2; pass += 1) {
      results.push(await measure(client, backendPid, 'eleven round trips', elevenRoundTrips, conversations, `eleven-${pass}`, config.seconds));
      results.push(await measure(client, backendPid, 'one statement', oneStatement, conversations, `one-${pass}`, config.seconds));
    }
    const f = (v: number) => v.toFixed(2);
    console.log(table(['shape', 'round p50 ms', 'p90 ms', 'p99 ms', 'CPU/round: this process ms', 'PostgreSQL ms'], results.map((r) => [r.shape, f(r.p50), f(r.p90), f(r.p99), f(r.ownCpu), f(r.pgCpu)])));
    const mean = (shape: string, key: keyof Omit<Result, 'shape'>) => {
      const of = results.filter((r) => r.shape === shape);
      return of.reduce((sum, r) => sum + r[key], 0) / of.length;
    };
    const ratio = (key: keyof Omit<Result, 'shape'>) => (mean('one statement', key) / mean('eleven round trips', key)).toFixed(2);
    console.log(`one statement / eleven round trips: round p50 ${ratio('p50')}×, p99 ${ratio('p99')}×, CPU this process ${ratio('ownCpu')}×, PostgreSQL ${ratio('pgCpu')}×`);
  } finally {
    for (const child of busy) child.kill();
    await client.end().catch(() => undefined);
    await database.drop();
  }
}

if (process.argv[2] === 'busy') {
  // a child that spins 1 ms, then sleeps 2 ms or more (timers are late on a busy machine), until its parent goes
  const spin = () => {
    const until = performance.now() + 1;
    while (performance.now() < until);
    setTimeout(spin, 2);
  };
  spin();
  process.on('disconnect', () => process.exit(0));
} else {
  await main();
}
