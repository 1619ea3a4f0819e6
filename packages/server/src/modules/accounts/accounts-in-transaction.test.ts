import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase } from '../../../test/db.ts';
import { queryRows, sql, type Database } from '../../db/client.ts';
import { accountsByIdsIn, accountsByIgUserIdsIn } from './accounts-in-transaction.ts';
import { createUnitsOfWork } from '../../db/unit-of-work.ts';

describe('account rows kept for a unit of work', () => {
  let database: Database & { engine: string };
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    database = await createTestDatabase();
    for (const ig of ['17841400000000951', '17841400000000952']) {
      const [row] = await queryRows<{ id: string }>(database.db, sql`insert into accounts (ig_user_id, username) values (${ig}, ${`kept_${ig.slice(-3)}`}) returning id`);
      ids[ig] = row?.id ?? '';
    }
  });
  afterAll(async () => database.close());
  const units = () => createUnitsOfWork(database.db, []);

  it('answers the accounts routing read in the same transaction without reading them again, and reads the others', async () => {
    await units().run(async (uow) => {
      const { tx } = uow;
      const routed = await accountsByIgUserIdsIn(uow, ['17841400000000951']);
      expect(routed.map((a) => a.username)).toEqual(['kept_951']);
      const select = vi.spyOn(tx, 'select');
      expect((await accountsByIdsIn(uow, [ids['17841400000000951'] ?? ''])).map((a) => a.username)).toEqual(['kept_951']);
      expect(select).not.toHaveBeenCalled();
      const both = await accountsByIdsIn(uow, [ids['17841400000000951'] ?? '', ids['17841400000000952'] ?? '']);
      expect(both.map((a) => a.username).sort()).toEqual(['kept_951', 'kept_952']);
      expect(select).toHaveBeenCalledTimes(1);
      select.mockRestore();
    });
  });

  it('keeps nothing for another transaction', async () => {
    await units().run((uow) => accountsByIgUserIdsIn(uow, ['17841400000000952']));
    await units().run(async (uow) => {
      const { tx } = uow;
      const select = vi.spyOn(tx, 'select');
      expect((await accountsByIdsIn(uow, [ids['17841400000000952'] ?? ''])).map((a) => a.username)).toEqual(['kept_952']);
      expect(select).toHaveBeenCalledTimes(1);
      select.mockRestore();
    });
  });
});
