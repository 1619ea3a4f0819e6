import { inArray } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { accounts } from '../../db/schema/index.ts';
import type { AccountRow } from './accounts.repository.ts';

/** Whole account rows read inside a unit of work (see accounts-in-transaction.ts, which keeps them for it). */
export const accountRowsRepository = {
  byIgUserIds(tx: Db, igUserIds: string[]): Promise<AccountRow[]> {
    return tx.select().from(accounts).where(inArray(accounts.igUserId, igUserIds));
  },
  byIds(tx: Db, ids: string[]): Promise<AccountRow[]> {
    return tx.select().from(accounts).where(inArray(accounts.id, ids));
  },
  /**
   * The same, as committed now (waiting for a transaction that is changing them), share-locked until the caller
   * commits: no other transaction changes them meanwhile.
   */
  byIdsForShare(tx: Db, ids: string[]): Promise<AccountRow[]> {
    return tx.select().from(accounts).where(inArray(accounts.id, ids)).orderBy(accounts.id).for('share');
  },
};
