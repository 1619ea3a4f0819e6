// Set-based seeding of a large inbox (generate_series, one statement per table): accounts with skewed sizes,
// contacts with searchable names, conversations with log-normal sizes, ~10 % unread and ~20 % needing a reply,
// messages spread over months, a few reactions and images. Secondary indexes are dropped for the bulk load and
// rebuilt from their own definitions afterwards, then everything is VACUUMed and ANALYZEd, and (PostgreSQL) checkpointed.
import { z } from 'zod';
import type { InboxDb } from './inbox-db.ts';

export type SeedSizes = { accounts: number; conversations: number; messages: number };
export type SeedUsers = {
  reader: { username: string; passwordHash: string };
  sender: { username: string; passwordHash: string };
  /** The simulator's account, linked for the send test (its token already encrypted with the server's key). */
  simAccount: { igUserId: string; username: string; accessTokenEncrypted: string };
};
export type SeedResult = { readerAccountId: string; simAccountId: string; counts: Record<string, number>; seconds: Record<string, number> };

const FIRST = ['Maria', 'Luca', 'Sofia', 'Ahmed', 'Chen', 'Olga', 'Diego', 'Aisha', 'Noah', 'Emma', 'Yuki', 'Ivan', 'Lea', 'Omar', 'Ana', 'Jonas', 'Priya', 'Mateo', 'Zoe', 'Kofi', 'Elif', 'Sven', 'Nina', 'Rafael', 'Mina', 'Tom', 'Lina', 'Hugo', 'Sara', 'Ali'];
const LAST = ['Rossi', 'Garcia', 'Muller', 'Smith', 'Kowalski', 'Silva', 'Nguyen', 'Yilmaz', 'Dubois', 'Ivanova', 'Tanaka', 'Haddad', 'Jensen', 'Costa', 'Novak', 'Okafor', 'Larsen', 'Moreau', 'Fischer', 'Kim', 'Patel', 'Lopez', 'Romano', 'Berg', 'Santos', 'Weber', 'Horvat', 'Adeyemi', 'Marino', 'Sato'];
const INBOUND = [
  'Hi! Is this still available?', 'How much is shipping to Berlin?', 'Do you have it in size M?', 'Thanks a lot!',
  'When will my order arrive?', 'Can I pay on delivery?', 'Is there a discount for two?', 'What colours do you have?',
  'I sent you the payment', 'Love it ❤️', 'Can you send more pictures?', 'Where is your shop?', 'Is it handmade?',
  'My parcel has not arrived yet', 'Can I return it if it does not fit?', 'ok', 'Perfect, thank you', 'Hello 👋',
];
const OUTBOUND = [
  'Hi! Yes, it is available.', 'Shipping is free above 50 €.', 'We have S, M and L in stock.', 'You are welcome!',
  'Your order left our warehouse today.', 'Here is the tracking link.', 'We accept cards and bank transfers.',
  'Sure, 10 % off for two items.', 'Black, white and olive green.', 'Payment received, thank you!',
  'Our shop is open Monday to Saturday.', 'Yes, everything is handmade.', 'Returns are free within 30 days.',
];

const sqlTextArray = (items: readonly string[]) => `array[${items.map((s) => `'${s.replaceAll("'", "''")}'`).join(',')}]::text[]`;
const count = z.object({ n: z.coerce.number() });
const idRow = z.object({ id: z.string() });

async function timed(seconds: Record<string, number>, label: string, fn: () => Promise<unknown>) {
  const start = performance.now();
  await fn();
  seconds[label] = (performance.now() - start) / 1000;
}

/** Secondary indexes of the inbox tables (not primary keys): their definitions, to drop and rebuild around the load. */
async function secondaryIndexes(sql: InboxDb): Promise<{ name: string; def: string }[]> {
  const rows = await sql.query(
    `select i.relname as name, pg_get_indexdef(x.indexrelid) as def
     from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid
     join pg_namespace n on n.oid = t.relnamespace
     where n.nspname = 'public' and t.relname in ('contacts','conversations','messages','message_reactions')
       and not x.indisprimary and not exists (select 1 from pg_constraint c where c.conindid = x.indexrelid)`,
  );
  return z.array(z.object({ name: z.string(), def: z.string() })).parse(rows);
}

/** A second member of every seeded account: the "a teammate's conversations" filter reads theirs. */
export const TEAMMATE = 'bench_teammate';

export async function seedInbox(sql: InboxDb, sizes: SeedSizes, users: SeedUsers): Promise<SeedResult> {
  const seconds: Record<string, number> = {};
  await sql.query(`select setseed(0.4242)`);
  // Foreign keys are satisfied by construction; skipping their per-row triggers makes the load several times faster.
  await sql.query(`set session_replication_role = replica`);
  if (sql.kind === 'postgres') await sql.query(`set maintenance_work_mem = '1GB'`);
  const indexes = await secondaryIndexes(sql);
  for (const ix of indexes) await sql.query(`drop index if exists "${ix.name}"`);

  await timed(seconds, 'accounts, users', async () => {
    await sql.query(
      `insert into accounts (ig_user_id, username, name, status)
       select '17841' || lpad(g::text, 12, '0'), 'bench_shop_' || g, 'Bench Shop ' || g, 'active' from generate_series(1, $1::int) g`,
      [sizes.accounts],
    );
    await sql.query(`insert into accounts (ig_user_id, username, access_token_encrypted, status) values ($1, $2, $3, 'active')`, [
      users.simAccount.igUserId,
      users.simAccount.username,
      users.simAccount.accessTokenEncrypted,
    ]);
    await sql.query(`insert into users (username, password_hash) values ($1, $2), ($3, $4)`, [
      users.reader.username,
      users.reader.passwordHash,
      users.sender.username,
      users.sender.passwordHash,
    ]);
    // The reader owns every seeded account; the first (the largest) is its primary, so its session lands there.
    await sql.query(
      `insert into user_accounts (user_id, account_id, role, is_primary)
       select u.id, a.id, 'owner', a.username = 'bench_shop_1' from users u, accounts a
       where u.username = $1 and a.username like 'bench\\_shop\\_%'`,
      [users.reader.username],
    );
    await sql.query(
      `insert into user_accounts (user_id, account_id, role, is_primary)
       select u.id, a.id, 'owner', true from users u, accounts a where u.username = $1 and a.ig_user_id = $2`,
      [users.sender.username, users.simAccount.igUserId],
    );
  });

  await timed(seconds, 'conversations, contacts', async () => {
    // Account k gets a share ∝ √k − √(k−1) (the first about 22 %); sizes are log-normal (median ≈ 13, mean ≈ 40),
    // rescaled to the total; activity is skewed to recent weeks over six months.
    await sql.query(`drop table if exists bench_conv`);
    await sql.query(
      `create temp table bench_conv as
       with base as (
         select g as n, random() as r_acct, random() as u1, random() as u2, random() as r_unread, random() as r_reply,
                random() as r_age, random() as r_span, random() as r_name, random() as r_first, random() as r_last
         from generate_series(1, $1::int) g
       ), sized as (
         select *, exp(2.56 + 1.5 * sqrt(-2 * ln(greatest(u1, 1e-12))) * cos(2 * pi() * u2)) as w from base
       )
       select n, gen_random_uuid() as conv_id, gen_random_uuid() as contact_id, gen_random_uuid() as last_msg_id,
              least($2::int, 1 + floor($2::int * r_acct * r_acct))::int as acct_no,
              greatest(1, round(w * $3::float8 / sum(w) over ()))::int as size,
              date_trunc('milliseconds', now() - interval '2 minutes' - r_age * r_age * interval '180 days') as last_at,
              interval '1 minute' + r_span * interval '60 days' as span,
              r_unread < 0.10 as unread,
              r_unread < 0.10 or r_reply < 0.111 as needs_reply,
              (${sqlTextArray(FIRST)})[1 + floor(r_first * ${FIRST.length})::int] as first_name,
              (${sqlTextArray(LAST)})[1 + floor(r_last * ${LAST.length})::int] as last_name,
              r_name < 0.9 as has_name
       from sized`,
      [sizes.conversations, sizes.accounts, sizes.messages],
    );
    await sql.query(`alter table bench_conv add column account_id uuid`);
    await sql.query(`update bench_conv c set account_id = a.id from accounts a where a.username = 'bench_shop_' || c.acct_no`);
    await sql.query(
      `insert into contacts (id, account_id, igsid, username, name, profile_fetched_at, created_at, updated_at)
       select contact_id, account_id, '9' || lpad(n::text, 15, '0'), lower(first_name) || '.' || lower(last_name) || n,
              case when has_name then first_name || ' ' || last_name end, last_at - span, last_at - span, last_at
       from bench_conv`,
    );
    await sql.query(
      `insert into conversations (id, account_id, contact_id, last_message_at, last_message_id, last_message_direction,
                                  last_inbound_at, unread_count, needs_reply, created_at, updated_at)
       select conv_id, account_id, contact_id, last_at, last_msg_id, case when needs_reply then 'inbound' else 'outbound' end,
              case when needs_reply then last_at else last_at - least(span, interval '3 hours') end,
              case when unread then 1 + floor(random() * 4)::int else 0 end, needs_reply, last_at - span, last_at
       from bench_conv`,
    );
  });

  await timed(seconds, 'messages', async () => {
    // The last message of each thread has the id the conversation already points at, and its direction.
    await sql.query(
      `insert into messages (id, account_id, conversation_id, mid, direction, author_type, author_user_id, kind, text,
                             attachments, status, sent_at, created_at, updated_at)
       select id, account_id, conversation_id, mid, dir, case when dir = 'inbound' then 'contact' when r_author < 0.3 then 'user' else 'instagram_app' end,
              case when dir = 'outbound' and r_author < 0.3 then (select id from users where username = $1) end,
              case when r_kind < 0.03 then 'image' else 'text' end,
              case when r_kind < 0.03 then null
                   when dir = 'inbound' then (${sqlTextArray(INBOUND)})[1 + floor(r_text * ${INBOUND.length})::int]
                   else (${sqlTextArray(OUTBOUND)})[1 + floor(r_text * ${OUTBOUND.length})::int] end
                || case when r_kind > 0.9 then ' order #' || (10000 + floor(r_kind * 1e6)::int % 90000) else '' end,
              case when r_kind < 0.03 then jsonb_build_array(jsonb_build_object('type', 'image', 'url', 'https://cdn.example.invalid/' || mid || '.jpg')) else '[]'::jsonb end,
              case when dir = 'inbound' then 'received' when r_author < 0.8 then 'read' else 'sent' end,
              at, at, at
       from (
         select case when k = c.size then c.last_msg_id else gen_random_uuid() end as id, c.account_id, c.conv_id as conversation_id,
                'bench_' || c.n || '_' || k as mid,
                case when k = c.size then (case when c.needs_reply then 'inbound' else 'outbound' end)
                     when random() < 0.55 then 'inbound' else 'outbound' end as dir,
                random() as r_author, random() as r_kind, random() as r_text,
                c.last_at - (c.size - k) * (c.span / c.size) as at
         from bench_conv c cross join lateral generate_series(1, c.size) k
         offset 0
       ) m`,
      [users.sender.username],
    );
    await sql.query(
      `insert into message_reactions (message_id, account_id, reactor, reaction, emoji, reacted_at)
       select id, account_id, 'contact', 'love', '❤️', sent_at + interval '1 minute' from messages where direction = 'outbound' and random() < 0.02`,
    );
  });

  await sql.query(
    `update conversations c set last_message_preview = coalesce(left(m.text, 100), '📷 Photo') from messages m where m.id = c.last_message_id`,
  );
  await timed(seconds, 'indexes', async () => {
    for (const ix of indexes) await sql.query(ix.def);
  });
  await timed(seconds, 'labels', async () => {
    // Two labels per account: "Common" on about 5 % of its conversations, "Rare" on about 0.5 % (the label filter's
    // easy and hard cases: a rare label makes the keyset walk pass many conversations per page).
    await sql.query(`insert into labels (account_id, name, color) select a.id, l.name, '#2563eb' from accounts a cross join (values ('Common'), ('Rare')) as l(name)`);
    // a hash of the pair, not random(): a volatile condition on the label alone may be evaluated once per label
    await sql.query(
      `insert into conversation_labels (conversation_id, label_id, account_id)
       select c.id, l.id, c.account_id from conversations c join labels l on l.account_id = c.account_id
       where (hashtext(c.id::text || l.name) & 1023) < case l.name when 'Common' then 51 else 5 end`,
    );
  });
  await timed(seconds, 'status, assignees', async () => {
    // A team's inbox: most conversations done, a few snoozed, the rest open; a tenth assigned to the reader, a tenth to
    // a teammate (an admin of every account, who never signs in), the rest unassigned. Hashes, not random(), as above.
    await sql.query(`insert into users (username) values ('${TEAMMATE}')`);
    await sql.query(
      `insert into user_accounts (user_id, account_id, role, is_primary)
       select u.id, a.id, 'admin', false from users u, accounts a where u.username = '${TEAMMATE}' and a.username like 'bench\\_shop\\_%'`,
    );
    await sql.query(
      `update conversations c set
         status = case when h.s < 600 then 'done' when h.s < 650 then 'snoozed' else 'open' end,
         snoozed_until = case when h.s >= 600 and h.s < 650 then now() + interval '7 days' end,
         status_changed_at = case when h.s < 650 then c.last_message_at end,
         assignee_user_id = case when h.a < 102 then (select id from users where username = $1)
                                 when h.a < 204 then (select id from users where username = '${TEAMMATE}') end
       from (select id, hashtext(id::text || 'status') & 1023 as s, hashtext(id::text || 'assignee') & 1023 as a from conversations) h
       where h.id = c.id`,
      [users.reader.username],
    );
  });
  await sql.query(`set session_replication_role = origin`);
  // VACUUM as well as ANALYZE: a freshly bulk-loaded table otherwise has its hint bits set by the first reads (each
  // dirtying pages) and draws autovacuum's insert-triggered run into the measurement; an inbox in service is in the
  // vacuumed state this leaves
  await timed(seconds, 'vacuum analyze', () => sql.query(`vacuum (analyze)`));
  await sql.query(`drop table if exists bench_conv`);
  // and with its pages on disk: otherwise the checkpoint the load's gigabytes of WAL set off writes them out while the
  // reads are measured (the machine showed a third of its time in I/O wait after a seed)
  if (sql.kind === 'postgres') await timed(seconds, 'checkpoint', () => sql.query(`checkpoint`));

  const counts: Record<string, number> = {};
  for (const table of ['accounts', 'contacts', 'conversations', 'messages', 'message_reactions', 'conversation_labels']) {
    counts[table] = count.parse((await sql.query(`select count(*) as n from ${table}`))[0]).n;
  }
  const reader = idRow.parse((await sql.query(`select id from accounts where username = 'bench_shop_1'`))[0]);
  const sim = idRow.parse((await sql.query(`select id from accounts where ig_user_id = $1`, [users.simAccount.igUserId]))[0]);
  return { readerAccountId: reader.id, simAccountId: sim.id, counts, seconds };
}
