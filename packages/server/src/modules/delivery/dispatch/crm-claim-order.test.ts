import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../../test/db.ts';
import { createAccount } from '../../../../test/factories.ts';
import type { Database } from '../../../db/client.ts';
import { accounts, crmDeliveries } from '../../../db/schema/index.ts';
import { createCrmRepository } from './crm.repository.ts';

/**
 * The claim's order at one endpoint (crm_claim_due, migration 0017): what came due in the last second (new
 * deliveries, retries just due) before what waited longer (a backlog released after an outage), each by due time.
 */
describe('CRM claim order', () => {
  let database: Database;
  let accountId: string;
  beforeAll(async () => {
    database = await createTestDatabase();
    const account = await createAccount(database.db);
    accountId = account.id;
    await database.db.update(accounts).set({ crmWebhookUrl: 'https://crm.example/in', webhookSecret: 'whsec_test' }).where(eq(accounts.id, account.id));
  });
  afterAll(async () => database.close());

  const deliver = (id: string, dueAgoMs: number, now: Date) => {
    const at = new Date(now.getTime() - dueAgoMs);
    return database.db.insert(crmDeliveries).values({ id, accountId, eventType: 'message.received', payload: {}, status: 'pending', nextAttemptAt: at, createdAt: at });
  };

  /** one claiming process: its own leases hold against its next claim */
  const processId = randomUUID();
  const claim = (limit: number, now: Date) =>
    createCrmRepository(database.db).claimDue({
      now,
      leaseUntil: new Date(now.getTime() + 60_000),
      limit,
      perEndpoint: 8,
      processId,
      deadAfterMs: 5_000,
      own: new Map(),
    });

  it('takes what came due in the last second ahead of a backlog, then the backlog in order', async () => {
    const now = new Date();
    for (let i = 0; i < 3; i += 1) await deliver(`backlog_${i}`, 30_000 - i, now);
    await deliver('new_0', 20, now);
    await deliver('new_1', 10, now);
    // (a claim answers the rows it took in no particular order: which ones is the point)
    const taken = async (limit: number) => (await claim(limit, now)).map((w) => w.claimed.id).sort();
    expect(await taken(3)).toEqual(['backlog_0', 'new_0', 'new_1']);
    expect(await taken(10)).toEqual(['backlog_1', 'backlog_2']);
  });
});
