import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { accounts } from '../../../db/schema/index.ts';
import { startReceiver } from '../../../shared/net/test-receivers.ts';
import { dispatcherTestSettings as settings, useDispatcherWorld } from '../../../../test/crm-dispatcher-world.ts';

describe('CRM dispatcher', () => {
  const { database: db, receivers, worker, endpoint, record, statuses, until } = useDispatcherWorld();

  it('never sends one attempt twice when two worker processes run at once', async () => {
    const crm = await startReceiver((_req, res) => setTimeout(() => res.writeHead(200).end(), 5));
    receivers.push(crm);
    const accountId = await endpoint(`${crm.url}/twice`);
    // A generous deadline: an attempt that times out is retried by design (at least once), which is not what this checks.
    const a = await worker({ maxConcurrencyPerEndpoint: 8, timeoutMs: 15_000 });
    const b = await worker({ maxConcurrencyPerEndpoint: 8, timeoutMs: 15_000 });
    await record(a, accountId, 60);
    a.dispatcher.start();
    b.dispatcher.start();
    await until(async () => (await statuses(accountId)).every((s) => s === 'succeeded'));
    await a.dispatcher.stop();
    await b.dispatcher.stop();
    const ids = crm.received.map((r) => r.headers['webhook-id']);
    expect(ids).toHaveLength(60);
    expect(new Set(ids).size).toBe(60);
  });

  it('keeps other accounts flowing while one endpoint hangs, holding at most its cap of workers', async () => {
    let inHang = 0;
    let maxInHang = 0;
    const hanging = await startReceiver(() => {
      inHang += 1;
      maxInHang = Math.max(maxInHang, inHang);
    });
    const healthy = await startReceiver((_req, res) => res.writeHead(200).end());
    receivers.push(hanging, healthy);
    const stuck = await endpoint(`${hanging.url}/hang`);
    const fine = await endpoint(`${healthy.url}/ok`);
    const a = await worker({ workerConcurrency: 4, timeoutMs: 3000 });
    const b = await worker({ workerConcurrency: 4, timeoutMs: 3000 });
    await record(a, stuck, 10);
    await record(a, fine, 10);
    a.dispatcher.start();
    b.dispatcher.start();
    await until(async () => (await statuses(fine)).every((s) => s === 'succeeded'));
    expect(healthy.received).toHaveLength(10);
    expect(maxInHang).toBeLessThanOrEqual(settings.maxConcurrencyPerEndpoint);
    await a.dispatcher.stop();
    await b.dispatcher.stop();
  });

  it('disables an endpoint that has failed for the whole failure period, saying why', async () => {
    const failing = await startReceiver((_req, res) => res.writeHead(503).end());
    receivers.push(failing);
    const accountId = await endpoint(`${failing.url}/down`);
    let clock = Date.now();
    const crm = await worker({ retryScheduleMs: [0, 1000, 1000, 1000] }, () => new Date(clock));
    await record(crm, accountId, 1, () => new Date(clock));
    await crm.dispatcher.runOnce();
    let [account] = await db().db.select().from(accounts).where(eq(accounts.id, accountId));
    expect(account?.crmFailingSince).not.toBeNull();
    expect(account?.crmDisabledAt).toBeNull();
    clock += 2 * 3_600_000;
    await crm.dispatcher.runOnce();
    [account] = await db().db.select().from(accounts).where(eq(accounts.id, accountId));
    expect(account?.crmDisabledAt).not.toBeNull();
    expect(account?.crmDisabledReason).toMatch(/Every delivery has failed since .* \(2 h\); last error: The endpoint answered 503/);
    // a disabled endpoint is not tried, and keeps what is pending
    clock += 3_600_000;
    expect(await crm.dispatcher.runOnce()).toBe(0);
    expect(await statuses(accountId)).toEqual(['pending']);
    expect((await crm.metrics.snapshot()).endpointsDisabled.failing).toBeGreaterThanOrEqual(1);
  });
});
