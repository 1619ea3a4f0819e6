import { and, eq } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accounts, crmDeliveries } from '../../../db/schema/index.ts';
import { createUnitsOfWork } from '../../../db/unit-of-work.ts';
import { createTokenVault } from '../../../shared/crypto/token-vault.ts';
import { createCrmFixture, type CrmFixture } from '../crm-test-helpers.ts';
import { recordOutcomes, type DeliveryDeps } from './crm-delivery.ts';

/**
 * Outcomes are written after their attempts, in batches. An endpoint comes back while attempts claimed during its
 * outage are still in flight (or run in another process): one batch's 2xx releases the backlog, and a 503 answered to
 * an attempt claimed before must not send its delivery back to the end of the retry schedule behind an endpoint that
 * answers again. And a success keeps the time its endpoint answered, however late its batch is written.
 */
describe('outcomes written after their attempts', () => {
  let f: CrmFixture;
  let deps: DeliveryDeps;
  beforeAll(async () => {
    f = await createCrmFixture({ CRM_RETRY_SCHEDULE: '0,1s,5m,5m' });
    await f.setUrl('http://127.0.0.1:9/in');
    const crm = f.t.crm;
    deps = {
      units: createUnitsOfWork(f.db, []),
      repo: crm.repo,
      vault: createTokenVault({ sessionSecret: 'outcomes-race-test-secret-0123456789-abcdefghijklm' }),
      client: crm.client,
      settings: { retryScheduleMs: [0, 1_000, 300_000, 300_000], timeoutMs: 2_500, disableAfterMs: 72 * 3_600_000, secretOverlapMs: 86_400_000 },
      metrics: crm.metrics,
      log: pino({ level: 'silent' }),
      now: () => new Date(),
    };
  });
  afterAll(async () => {
    await f.t.close();
  });

  /** A delivery written during the outage, as a claim read it then: its endpoint failing for a minute. */
  async function claimedDuringOutage() {
    const failingSince = new Date(Date.now() - 60_000);
    await f.db.update(accounts).set({ crmFailingSince: failingSince }).where(eq(accounts.id, f.accountId));
    const { messageId } = await f.recordMessage('in flight when the endpoint came back');
    const rows = await f.deliveries();
    const row = rows.find((d) => JSON.stringify(d.payload).includes(messageId));
    if (!row) throw new Error('no delivery');
    const [account] = await f.db.select().from(accounts).where(eq(accounts.id, f.accountId));
    if (!account) throw new Error('no account');
    return {
      claimed: { id: row.id, accountId: f.accountId, attemptCount: 3, lockedUntil: new Date(Date.now() + 75_000) },
      delivery: { id: row.id, payload: row.payload, createdAt: row.createdAt, status: row.status },
      account,
      result: { verdict: 'retry' as const, outcome: 'http_error' as const, statusCode: 503, durationMs: 1, error: 'HTTP 503', responseExcerpt: null, retryAfterMs: null },
      at: new Date(),
    };
  }
  const rowOf = async (id: string) => (await f.db.select().from(crmDeliveries).where(and(eq(crmDeliveries.id, id))))[0];

  it('is due at once, in the order written, when another batch has seen the endpoint answer again', async () => {
    const outcome = await claimedDuringOutage();
    // meanwhile another batch's 2xx: the endpoint is healthy again
    await f.db.update(accounts).set({ crmFailingSince: null }).where(eq(accounts.id, f.accountId));
    const { released } = await recordOutcomes(deps, [outcome]);
    expect(released).toBe(1);
    const row = await rowOf(outcome.delivery.id);
    expect(row?.status).toBe('pending');
    expect(row?.nextAttemptAt?.getTime()).toBe(outcome.delivery.createdAt.getTime());
    expect(row?.lockedUntil).toBeNull();
    // the endpoint stays healthy: the failure of an attempt made during the outage does not mark it failing again
    const [account] = await f.db.select().from(accounts).where(eq(accounts.id, f.accountId));
    expect(account?.crmFailingSince).toBeNull();
  });

  it('waits out its back-off while the endpoint is still failing', async () => {
    const outcome = await claimedDuringOutage();
    const { released } = await recordOutcomes(deps, [outcome]);
    expect(released).toBe(0);
    const row = await rowOf(outcome.delivery.id);
    expect(row?.nextAttemptAt?.getTime()).toBeGreaterThan(Date.now() + 60_000);
  });

  it('dates a success when its endpoint answered, not when the batch is written, with or without a failure beside it', async () => {
    await f.db.update(accounts).set({ crmFailingSince: null }).where(eq(accounts.id, f.accountId));
    const answered = async (durationMs: number) => {
      const failure = await claimedDuringOutage();
      await f.db.update(accounts).set({ crmFailingSince: null }).where(eq(accounts.id, f.accountId));
      const [account] = await f.db.select().from(accounts).where(eq(accounts.id, f.accountId));
      if (!account) throw new Error('no account');
      // attempted a minute ago: the batch it is written with ends now
      const at = new Date(Date.now() - 60_000);
      return { ...failure, account, at, result: { ...failure.result, verdict: 'success' as const, outcome: 'success' as const, statusCode: 204, durationMs, error: null } };
    };
    const alone = await answered(250);
    await recordOutcomes(deps, [alone]);
    const beside = await answered(40);
    const failure = await claimedDuringOutage();
    await recordOutcomes(deps, [beside, failure]);
    for (const o of [alone, beside]) {
      const row = await rowOf(o.delivery.id);
      expect(row?.status).toBe('succeeded');
      expect(row?.lastAttemptAt?.getTime()).toBe(o.at.getTime());
      expect(row?.succeededAt?.getTime()).toBe(o.at.getTime() + o.result.durationMs);
    }
  });
});
