import { inArray } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { accounts } from '../../db/schema/index.ts';
import type { AccountRow } from './accounts.repository.ts';

// Account rows read in a transaction, kept for the rest of it: webhook processing reads a batch's accounts once to
// route its events, and what the batch writes afterwards (the CRM outbox) takes them from here, not in another read.
const readIn = new WeakMap<Db, Map<string, AccountRow>>();

function remember(tx: Db, rows: AccountRow[]): AccountRow[] {
  const map = readIn.get(tx) ?? new Map<string, AccountRow>();
  for (const row of rows) map.set(row.id, row);
  readIn.set(tx, map);
  return rows;
}

/** The accounts with these Instagram ids, read in `tx` and kept for it. */
export async function accountsByIgUserIdsIn(tx: Db, igUserIds: string[]): Promise<AccountRow[]> {
  if (igUserIds.length === 0) return [];
  return remember(tx, await tx.select().from(accounts).where(inArray(accounts.igUserId, igUserIds)));
}

/**
 * The accounts with these ids: those `tx` kept from `accountsByIgUserIdsIn` (a processing batch, which changes no
 * account), and the others read now (not kept: a transaction that changes an account reads it afresh each time).
 */
export async function accountsByIdsIn(tx: Db, ids: string[]): Promise<AccountRow[]> {
  const kept = readIn.get(tx);
  const have = ids.flatMap((id) => kept?.get(id) ?? []);
  const missing = ids.filter((id) => !kept?.has(id));
  if (missing.length === 0) return have;
  return [...have, ...(await tx.select().from(accounts).where(inArray(accounts.id, missing)))];
}
