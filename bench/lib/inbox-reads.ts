// The reads the inbox benchmark measures: which parameters (chosen from the seeded data), which HTTP request, and
// the repository call behind it, whose SQL is captured and run under EXPLAIN (ANALYZE, BUFFERS).
import { z } from 'zod';
import { createInboxReadRepository, encodeCursor, type InboxReadRepository } from '../../packages/server/src/modules/inbox/inbox-read.repository.ts';
import type { InboxDb } from './inbox-db.ts';
import { TEAMMATE } from './inbox-seed.ts';

export type ReadParams = {
  accountId: string;
  /** every account of the reader (the "All accounts" inbox and the unread counts) */
  accountIds: string[];
  /** the reader account's seeded labels */
  labels: { common: string; rare: string };
  /** the reader ("mine") and a teammate, for the assignee filters */
  readerUserId: string;
  teammateUserId: string;
  conversationsInAccount: number;
  deep: { at: Date; id: string; position: number };
  usernames: string[];
  threads: { id: string; size: number }[];
};

export type ReadCase = {
  key: string;
  label: string;
  targetP95Ms: number;
  /** The request path of the i-th sample (pools are cycled). */
  path(i: number): string;
  /** The repository call the handler makes for the first sample; each statement it sends is EXPLAINed. */
  repoCall(repo: InboxReadRepository): Promise<unknown>;
};

export type StatementPlan = { sql: string; params: unknown[]; plan: string };
/** The plans of every statement a read sends (a search sends two), their indexes and their summed execution time. */
export type PlanResult = { statements: StatementPlan[]; indexes: string[]; seqScans: string[]; executionMs: number | null };

const CONV_LIMIT = 30;
const MSG_LIMIT = 50;

export async function chooseReadParams(sql: InboxDb, accountId: string, deepFraction: number): Promise<ReadParams> {
  const [countRow] = await sql.query(`select count(*) as n from conversations where account_id = $1 and last_message_at is not null`, [accountId]);
  const total = z.object({ n: z.coerce.number() }).parse(countRow).n;
  const position = Math.floor(total * deepFraction);
  const [deepRow] = await sql.query(
    `select last_message_at as at, id from conversations where account_id = $1 and last_message_at is not null
     order by last_message_at desc, id desc offset $2 limit 1`,
    [accountId, position],
  );
  const deep = z.object({ at: z.date(), id: z.string() }).parse(deepRow);
  await sql.query(`select setseed(0.77)`);
  const usernames = z
    .array(z.object({ username: z.string() }))
    .parse(
      await sql.query(
        `select k.username from conversations c join contacts k on k.id = c.contact_id
         where c.account_id = $1 and k.username is not null order by random() limit 50`,
        [accountId],
      ),
    )
    .map((r) => r.username);
  const threadRow = z.object({ id: z.string(), size: z.coerce.number() });
  const largest = z.array(threadRow).parse(
    await sql.query(`select conversation_id as id, count(*) as size from messages where account_id = $1 group by 1 order by 2 desc limit 1`, [accountId]),
  );
  const others = z.array(threadRow).parse(
    await sql.query(
      `select c.id, (select count(*) from messages m where m.conversation_id = c.id) as size
       from conversations c where c.account_id = $1 order by random() limit 49`,
      [accountId],
    ),
  );
  const accountIds = z
    .array(z.object({ account_id: z.string() }))
    .parse(await sql.query(`select ua.account_id from user_accounts ua join user_accounts mine on mine.user_id = ua.user_id where mine.account_id = $1 and mine.is_primary`, [accountId]))
    .map((r) => r.account_id);
  const labelRows = z.array(z.object({ id: z.string(), name: z.string() })).parse(await sql.query(`select id, name from labels where account_id = $1`, [accountId]));
  const label = (name: string) => labelRows.find((l) => l.name === name)?.id ?? '';
  const userId = z.array(z.object({ id: z.string() }));
  const [reader] = userId.parse(await sql.query(`select user_id as id from user_accounts where account_id = $1 and is_primary`, [accountId]));
  const [teammate] = userId.parse(await sql.query(`select id from users where username = $1`, [TEAMMATE]));
  return {
    accountId,
    accountIds,
    labels: { common: label('Common'), rare: label('Rare') },
    readerUserId: reader?.id ?? '',
    teammateUserId: teammate?.id ?? '',
    conversationsInAccount: total,
    deep: { ...deep, position },
    usernames,
    threads: [...largest, ...others],
  };
}

const pick = <T>(pool: readonly T[], i: number): T => {
  const v = pool[i % pool.length];
  if (v === undefined) throw new Error('empty pool');
  return v;
};

export function readCases(p: ReadParams): ReadCase[] {
  const base = '/api/v1/ui/conversations';
  const deepCursor = encodeCursor(p.deep.at, p.deep.id);
  const firstThread = pick(p.threads, 0);
  const firstUsername = pick(p.usernames, 0);
  return [
    {
      key: 'first_page',
      label: 'conversations, first page',
      targetP95Ms: 20,
      path: () => `${base}?limit=${CONV_LIMIT}`,
      repoCall: (repo) => repo.listConversations({ accountId: p.accountId, status: 'open', filter: 'all', limit: CONV_LIMIT, after: null }),
    },
    {
      key: 'deep_page',
      label: `conversations, deep page (keyset cursor at row ${p.deep.position.toLocaleString('en-US')})`,
      targetP95Ms: 20,
      path: () => `${base}?limit=${CONV_LIMIT}&cursor=${deepCursor}`,
      repoCall: (repo) => repo.listConversations({ accountId: p.accountId, status: 'open', filter: 'all', limit: CONV_LIMIT, after: { at: p.deep.at, id: p.deep.id } }),
    },
    {
      key: 'unread',
      label: 'conversations, unread filter',
      targetP95Ms: 20,
      path: () => `${base}?limit=${CONV_LIMIT}&filter=unread`,
      repoCall: (repo) => repo.listConversations({ accountId: p.accountId, status: 'open', filter: 'unread', limit: CONV_LIMIT, after: null }),
    },
    {
      key: 'needs_reply',
      label: 'conversations, needs-reply filter',
      targetP95Ms: 20,
      path: () => `${base}?limit=${CONV_LIMIT}&filter=needs_reply`,
      repoCall: (repo) => repo.listConversations({ accountId: p.accountId, status: 'open', filter: 'needs_reply', limit: CONV_LIMIT, after: null }),
    },
    {
      key: 'status_done',
      label: 'conversations, status filter (done: about 60 % of them)',
      targetP95Ms: 20,
      path: () => `${base}?limit=${CONV_LIMIT}&status=done`,
      repoCall: (repo) => repo.listConversations({ accountId: p.accountId, status: 'done', filter: 'all', limit: CONV_LIMIT, after: null }),
    },
    {
      key: 'status_snoozed',
      label: 'conversations, status filter (snoozed: about 5 %)',
      targetP95Ms: 20,
      path: () => `${base}?limit=${CONV_LIMIT}&status=snoozed`,
      repoCall: (repo) => repo.listConversations({ accountId: p.accountId, status: 'snoozed', filter: 'all', limit: CONV_LIMIT, after: null }),
    },
    {
      key: 'assignee_me',
      label: 'conversations, assigned to me (open)',
      targetP95Ms: 20,
      path: () => `${base}?limit=${CONV_LIMIT}&assignee=me`,
      repoCall: (repo) =>
        repo.listConversations({ accountId: p.accountId, status: 'open', assignee: { kind: 'user', userId: p.readerUserId }, filter: 'all', limit: CONV_LIMIT, after: null }),
    },
    {
      key: 'assignee_unassigned',
      label: 'conversations, unassigned (open)',
      targetP95Ms: 20,
      path: () => `${base}?limit=${CONV_LIMIT}&assignee=unassigned`,
      repoCall: (repo) => repo.listConversations({ accountId: p.accountId, status: 'open', assignee: { kind: 'unassigned' }, filter: 'all', limit: CONV_LIMIT, after: null }),
    },
    {
      key: 'assignee_teammate',
      label: "conversations, a teammate's (open)",
      targetP95Ms: 20,
      path: () => `${base}?limit=${CONV_LIMIT}&assignee=${p.teammateUserId}`,
      repoCall: (repo) =>
        repo.listConversations({ accountId: p.accountId, status: 'open', assignee: { kind: 'user', userId: p.teammateUserId }, filter: 'all', limit: CONV_LIMIT, after: null }),
    },
    {
      key: 'search',
      label: `conversations, search by username (${p.usernames.length} different usernames, e.g. "${firstUsername}")`,
      targetP95Ms: 20,
      path: (i) => `${base}?limit=${CONV_LIMIT}&q=${encodeURIComponent(pick(p.usernames, i))}`,
      repoCall: (repo) => repo.listConversations({ accountId: p.accountId, status: 'open', filter: 'all', q: firstUsername, limit: CONV_LIMIT, after: null }),
    },
    {
      key: 'all_accounts',
      label: `"All accounts", first page (${p.accountIds.length} accounts)`,
      targetP95Ms: 20,
      path: () => `${base}?limit=${CONV_LIMIT}&scope=all`,
      repoCall: (repo) => repo.listConversationsAcross(p.accountIds, { status: 'open', filter: 'all', limit: CONV_LIMIT, after: null }),
    },
    {
      key: 'all_accounts_unread',
      label: '"All accounts", unread filter',
      targetP95Ms: 20,
      path: () => `${base}?limit=${CONV_LIMIT}&scope=all&filter=unread`,
      repoCall: (repo) => repo.listConversationsAcross(p.accountIds, { status: 'open', filter: 'unread', limit: CONV_LIMIT, after: null }),
    },
    {
      key: 'label_common',
      label: 'conversations, label filter (a label on ~5 % of them)',
      targetP95Ms: 20,
      path: () => `${base}?limit=${CONV_LIMIT}&label_id=${p.labels.common}`,
      repoCall: (repo) => repo.listConversations({ accountId: p.accountId, status: 'open', filter: 'all', labelId: p.labels.common, limit: CONV_LIMIT, after: null }),
    },
    {
      key: 'label_rare',
      label: 'conversations, label filter (a label on ~0.5 % of them)',
      targetP95Ms: 20,
      path: () => `${base}?limit=${CONV_LIMIT}&label_id=${p.labels.rare}`,
      repoCall: (repo) => repo.listConversations({ accountId: p.accountId, status: 'open', filter: 'all', labelId: p.labels.rare, limit: CONV_LIMIT, after: null }),
    },
    {
      key: 'unread_counts',
      label: `unread conversations per account (${p.accountIds.length} accounts)`,
      targetP95Ms: 20,
      path: () => '/api/v1/ui/unread',
      repoCall: (repo) => repo.unreadCounts(p.accountIds),
    },
    {
      key: 'thread',
      label: `thread, first page (${p.threads.length} threads, largest ${firstThread.size.toLocaleString('en-US')} messages)`,
      targetP95Ms: 10,
      path: (i) => `${base}/${pick(p.threads, i).id}/messages?limit=${MSG_LIMIT}`,
      repoCall: (repo) => repo.listMessages(p.accountId, firstThread.id, MSG_LIMIT, null),
    },
  ];
}

/** Index names and sequentially scanned tables named in a text plan. */
export function planIndexUse(plan: string): { indexes: string[]; seqScans: string[] } {
  const indexes = new Set<string>();
  const seqScans = new Set<string>();
  for (const m of plan.matchAll(/(?:Index Only Scan|Index Scan)(?: Backward)? using (\S+)|Bitmap Index Scan on (\S+)/g)) {
    const name = m[1] ?? m[2];
    if (name) indexes.add(name);
  }
  for (const m of plan.matchAll(/Seq Scan on (\S+)/g)) if (m[1]) seqScans.add(m[1]);
  return { indexes: [...indexes], seqScans: [...seqScans] };
}

const planRow = z.object({ 'QUERY PLAN': z.string() });

/** Runs the case's repository call on `sql`, then EXPLAINs (ANALYZE, BUFFERS) each statement it sent, with its parameters. */
export async function explainCase(sql: InboxDb, c: ReadCase): Promise<PlanResult> {
  const repo = createInboxReadRepository(sql.db);
  // Once to warm the cache as the measured requests are, then captured.
  await c.repoCall(repo);
  const captured = await sql.capture(() => c.repoCall(repo));
  if (captured.length === 0) throw new Error(`${c.key}: the repository sent no statement`);
  const statements: StatementPlan[] = [];
  let executionMs: number | null = 0;
  for (const q of captured) {
    const rows = z.array(planRow).parse(await sql.query(`explain (analyze, buffers) ${q.text}`, q.params));
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    const exec = /Execution Time: ([\d.]+) ms/.exec(plan);
    executionMs = exec?.[1] && executionMs !== null ? executionMs + Number(exec[1]) : null;
    statements.push({ sql: q.text, params: q.params, plan });
  }
  const use = statements.map((st) => planIndexUse(st.plan));
  return {
    statements,
    indexes: [...new Set(use.flatMap((u) => u.indexes))],
    seqScans: [...new Set(use.flatMap((u) => u.seqScans))],
    executionMs,
  };
}
