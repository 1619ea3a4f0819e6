import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../../test/db.ts';
import { createAccount } from '../../../../test/factories.ts';
import type { Database } from '../../../db/client.ts';
import { accounts, crmDeliveries } from '../../../db/schema/index.ts';
import { createCrmRepository } from './crm.repository.ts';

/**
 * The claim's order at one endpoint (crm_claim_due, migration 0017): new deliveries (never attempted, due in the
 * last second) before the rest (a backlog released after an outage, retries), each by due time.
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

  /** A delivery due `dueAgoMs` ago (and written then), attempted `attempts` times before. */
  const deliver = (id: string, dueAgoMs: number, now: Date, attempts = 0) => {
    const at = new Date(now.getTime() - dueAgoMs);
    return database.db
      .insert(crmDeliveries)
      .values({ id, accountId, eventType: 'message.received', payload: {}, status: 'pending', nextAttemptAt: at, createdAt: at, attemptCount: attempts });
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

  it('takes new deliveries (never attempted, due in the last second) ahead of a backlog, then the rest by due time', async () => {
    const now = new Date();
    for (let i = 0; i < 3; i += 1) await deliver(`backlog_${i}`, 30_000 - i, now);
    await deliver('new_0', 20, now);
    await deliver('new_1', 10, now);
    // attempted before, due just now (a retry, or a backlog's newest, released): in due order, behind the backlog
    await deliver('retried', 5, now, 1);
    // a claim answers its rows in the order they are to start
    const taken = async (limit: number) => (await claim(limit, now)).map((w) => w.claimed.id);
    expect(await taken(3)).toEqual(['new_0', 'new_1', 'backlog_0']);
    expect(await taken(2)).toEqual(['backlog_1', 'backlog_2']);
    expect(await taken(10)).toEqual(['retried']);
  });

  it('counts what was written before the endpoint last came back as backlog, however recent', async () => {
    const now = new Date();
    await deliver('written_while_failing_0', 30, now);
    await deliver('written_while_failing_1', 20, now);
    await database.db.update(accounts).set({ crmRecoveredAt: new Date(now.getTime() - 15) }).where(eq(accounts.id, accountId));
    await deliver('after_the_return', 10, now);
    expect((await claim(2, now)).map((w) => w.claimed.id)).toEqual(['after_the_return', 'written_while_failing_0']);
    expect((await claim(10, now)).map((w) => w.claimed.id)).toEqual(['written_while_failing_1']);
  });
});
