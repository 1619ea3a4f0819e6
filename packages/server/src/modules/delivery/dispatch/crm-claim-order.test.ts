import { randomUUID } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crmDeliveries } from '../../../db/schema/index.ts';
import { createCrmFixture, type CrmFixture } from '../crm-test-helpers.ts';

/**
 * The claim fills an endpoint's room with first attempts before retries (issue 24, fair after an outage): a backlog
 * released when the endpoint answers again is due at its old times, and a new event must not wait behind all of it.
 */
describe('which due deliveries a claim takes first', () => {
  let f: CrmFixture;
  beforeAll(async () => {
    f = await createCrmFixture();
    await f.setUrl('http://127.0.0.1:9/in');
  });
  afterAll(async () => {
    await f.t.close();
  });

  const processId = randomUUID(); // one claimant: its own leases count against the endpoint's room
  const claim = (perEndpoint: number, limit = 50) =>
    f.t.crm.repo.claimDue({ now: new Date(), leaseUntil: new Date(Date.now() + 60_000), limit, perEndpoint, processId, deadAfterMs: 10_000 });

  it('takes deliveries never tried before released retries, and each kind in its own order', async () => {
    for (let i = 0; i < 5; i += 1) await f.recordMessage(`event ${i}`);
    const rows = (await f.deliveries()).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));
    expect(rows).toHaveLength(5);
    const [b1, b2, b3, n1, n2] = rows.map((r) => r.id) as [string, string, string, string, string];
    // a backlog released at the endpoint's return: tried during the outage, due at their creation times (long ago)
    const base = Date.now() - 60_000;
    for (const [i, id] of [b1, b2, b3].entries()) {
      await f.db.update(crmDeliveries).set({ attemptCount: 3, nextAttemptAt: new Date(base + i * 1_000) }).where(eq(crmDeliveries.id, id));
    }
    // two new events, never tried, due now
    await f.db.update(crmDeliveries).set({ attemptCount: 0, nextAttemptAt: new Date(Date.now() - 10) }).where(inArray(crmDeliveries.id, [n1, n2]));

    const first = await claim(3);
    expect(first.map((w) => w.claimed.id).sort()).toEqual([n1, n2, b1].sort());
    expect(first.find((w) => w.claimed.id === n1)?.claimed.attemptCount).toBe(1);
    // the endpoint's room counts the leases just taken: nothing more until they end
    expect(await claim(3)).toHaveLength(0);
    await f.db.update(crmDeliveries).set({ lockedUntil: null, lockedBy: null }).where(inArray(crmDeliveries.id, [n1, n2, b1]));
    await f.db.update(crmDeliveries).set({ status: 'succeeded' }).where(inArray(crmDeliveries.id, [n1, n2, b1]));
    expect((await claim(1)).map((w) => w.claimed.id)).toEqual([b2]);
  });
});
