// The storage of the bare references (bench/ingest-reference-server.ts, and bench/crm-forwarder.ts when it stores):
// one statement per webhook POST, in its own transaction (PostgreSQL through a pool, or a PGlite directory of its
// own). Nothing else: no batching, no processing. Two kinds:
// - `insert`: one INSERT of the raw body (the floor of storing before answering Meta);
// - `sequenced` (PostgreSQL): one statement of CTEs that stores the raw body, gives the sender's conversation its
//   next sequence number, and stores the message and a CRM delivery row carrying that number: the least a design can
//   commit before it sends the CRM an event numbered per conversation (docs/crm-webhooks.md), as a round of one
//   statement would (decision 0013). It answers the number, which the forwarder sends with the event.
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

export type StoreKind = 'insert' | 'sequenced';

/** What the sequenced store needs of an event: who sent it (its conversation) and its message id. */
export type EventKeys = { sender: string; mid: string };

export type BareStore = {
  /** Stores the body; answers the conversation's new sequence number (`sequenced`), or null (`insert`). */
  insert(body: Buffer, keys?: EventKeys): Promise<number | null>;
  close(): Promise<void>;
};

const TABLE = `create table if not exists bench_ref_events (
  id bigint generated always as identity primary key,
  received_at timestamptz not null default now(),
  body bytea not null)`;
const INSERT = 'insert into bench_ref_events (body) values ($1)';

const SEQUENCED_TABLES = `${TABLE};
create table if not exists bench_ref_conversations (
  id bigint generated always as identity primary key,
  sender text not null unique,
  sequence int not null,
  last_message_at timestamptz not null);
create table if not exists bench_ref_messages (
  id bigint generated always as identity primary key,
  conversation_id bigint not null,
  event_id bigint not null,
  mid text not null unique);
create table if not exists bench_ref_deliveries (
  id text primary key,
  conversation_id bigint not null,
  sequence int not null,
  payload jsonb not null,
  status text not null default 'pending')`;
/** $1 body, $2 sender, $3 mid: one statement, its own transaction. */
const SEQUENCED = `with raw as (insert into bench_ref_events (body) values ($1) returning id),
conversation as (
  insert into bench_ref_conversations (sender, sequence, last_message_at) values ($2, 1, now())
  on conflict (sender) do update set sequence = bench_ref_conversations.sequence + 1, last_message_at = now()
  returning id, sequence),
message as (insert into bench_ref_messages (conversation_id, event_id, mid) select conversation.id, raw.id, $3 from conversation, raw returning id),
delivery as (
  insert into bench_ref_deliveries (id, conversation_id, sequence, payload)
  select 'msg_' || $3, conversation.id, conversation.sequence, jsonb_build_object('mid', $3::text, 'sequence', conversation.sequence) from conversation
  returning id)
select conversation.sequence, (select count(*) from message) as messages, (select count(*) from delivery) as deliveries from conversation`;

export async function openBareStore(opts: { databaseUrl?: string | undefined; dataDir?: string | undefined; poolMax: number; name: string; kind?: StoreKind }): Promise<BareStore> {
  const kind = opts.kind ?? 'insert';
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.poolMax, application_name: opts.name });
    pool.on('error', () => undefined);
    if (kind === 'insert') {
      await pool.query(TABLE);
      return { insert: async (body) => (await pool.query(INSERT, [body]), null), close: () => pool.end() };
    }
    await pool.query(SEQUENCED_TABLES);
    return {
      insert: async (body, keys) => {
        if (!keys) throw new Error('the sequenced store needs the sender and the message id');
        const { rows } = await pool.query<{ sequence: number }>({ name: 'bench_ref_sequenced', text: SEQUENCED, values: [body, keys.sender, keys.mid] });
        return rows[0]?.sequence ?? null;
      },
      close: () => pool.end(),
    };
  }
  if (kind !== 'insert') throw new Error('the sequenced store runs on PostgreSQL only');
  if (!opts.dataDir) throw new Error('a database URL or a PGlite directory is required');
  const db = await PGlite.create(opts.dataDir);
  await db.exec(TABLE);
  return { insert: async (body) => (await db.query(INSERT, [body]), null), close: () => db.close() };
}
