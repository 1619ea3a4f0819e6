import type { UnitOfWork } from '../../db/unit-of-work.ts';
import { accountRowsRepository } from './account-rows.repository.ts';
import type { AccountRow } from './accounts.repository.ts';

// Account rows read in a unit of work are kept on it (`uow.accounts`) for the rest of it: webhook processing reads a
// batch's accounts once to route its events, and what the batch writes afterwards (the CRM outbox) takes them from
// there, not in another read.

/** The accounts with these Instagram ids, read in `uow` and kept for it. */
export async function accountsByIgUserIdsIn(uow: UnitOfWork<unknown>, igUserIds: string[]): Promise<AccountRow[]> {
  if (igUserIds.length === 0) return [];
  const rows = await accountRowsRepository.byIgUserIds(uow.tx, igUserIds);
  for (const row of rows) uow.accounts.set(row.id, row);
  return rows;
}

/**
 * The accounts with these ids: those `uow` kept from `accountsByIgUserIdsIn` (a processing batch, which changes no
 * account), and the others read now (not kept: a transaction that changes an account reads it afresh each time).
 */
export async function accountsByIdsIn(uow: UnitOfWork<unknown>, ids: string[]): Promise<AccountRow[]> {
  const kept = uow.accounts;
  const have = ids.flatMap((id) => kept.get(id) ?? []);
  const missing = ids.filter((id) => !kept.has(id));
  if (missing.length === 0) return have;
  return [...have, ...(await accountRowsRepository.byIds(uow.tx, missing))];
}

/**
 * These accounts ($ids) as committed now, share-locked until `uow` commits (no transaction changes them meanwhile), and
 * kept for it instead of what it read before. For a decision that must not cross a concurrent change of the account:
 * the CRM outbox, about an endpoint it read as failing (crm-outbox.ts).
 */
export async function accountsLockedIn(uow: UnitOfWork<unknown>, ids: string[]): Promise<AccountRow[]> {
  if (ids.length === 0) return [];
  const rows = await accountRowsRepository.byIdsForShare(uow.tx, ids);
  for (const row of rows) if (uow.accounts.has(row.id)) uow.accounts.set(row.id, row);
  return rows;
}
