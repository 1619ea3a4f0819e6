import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crmDeliveries, processes } from '../../../db/schema/index.ts';
import { startReceiver, type Receiver } from '../../../shared/net/test-receivers.ts';
import { createCrmFixture, type CrmFixture } from '../crm-test-helpers.ts';

/**
 * Crash recovery and outage recovery of CRM delivery: a claim belongs to a live process, so the work of one that
 * died is taken over at once (not after a lease of a minute and more), the claims a process made but never heard of
 * are released, and an endpoint that answers again gets its waiting deliveries at once, in order.
 */
describe('CRM delivery recovers from crashes and outages', () => {
  let f: CrmFixture;
  let crm: Receiver;
  let mode: 'up' | 'down' = 'up';
  beforeAll(async () => {
    f = await createCrmFixture();
    crm = await startReceiver((_req, res) => res.writeHead(mode === 'up' ? 204 : 503).end());
    await f.setUrl(`${crm.url}/in`);
  });
  afterAll(async () => {
    await crm.close();
    await f.t.close();
  });

  const lockAll = async (processId: string) =>
    f.db
      .update(crmDeliveries)
      .set({ lockedUntil: new Date(Date.now() + 75_000), lockedBy: processId })
      .where(and(eq(crmDeliveries.accountId, f.accountId), eq(crmDeliveries.status, 'pending')));

  it('takes over a delivery claimed by a process that stopped beating, without waiting for its lease', async () => {
    mode = 'down';
    await f.recordMessage('claimed by a process that was then killed');
    mode = 'up';
    await f.makeDue();
    const dead = randomUUID();
    await f.db.insert(processes).values({ id: dead, role: 'workers', host: 'elsewhere', pid: 1, heartbeatAt: sql`now() - interval '1 minute'` });
    await lockAll(dead);
    const before = crm.received.length;
    await f.drain();
    expect(crm.received.length).toBe(before + 1);
    expect((await f.deliveries()).at(-1)?.status).toBe('succeeded');
  });

  it('leaves alone a delivery claimed by a live process', async () => {
    mode = 'down';
    await f.recordMessage('claimed by a live process');
    mode = 'up';
    await f.makeDue();
    const live = randomUUID();
    await f.db.insert(processes).values({ id: live, role: 'workers', host: 'elsewhere', pid: 2 });
    await lockAll(live);
    const before = crm.received.length;
    await f.drain();
    expect(crm.received.length).toBe(before);
    // once that process is gone from the registry (a graceful stop), its claims are over at once
    await f.db.delete(processes).where(eq(processes.id, live));
    await f.drain();
    expect(crm.received.length).toBe(before + 1);
  });

  it('releases its own claims whose answer was lost with the connection', async () => {
    mode = 'down';
    await f.recordMessage('claimed, but the answer never arrived');
    mode = 'up';
    await f.makeDue();
    // the claim committed but this process never heard of it: the row is claimed by this process, and nothing holds it
    await lockAll(f.t.services.liveness.id);
    const released = await f.t.crm.repo.releaseClaimsOfProcessExcept(f.t.services.liveness.id, []);
    expect(released).toBe(1);
    const before = crm.received.length;
    await f.drain();
    expect(crm.received.length).toBe(before + 1);
  });

  it('sends the waiting deliveries of an endpoint that answers again at once, in the order they were written', async () => {
    mode = 'down';
    for (let i = 0; i < 3; i += 1) await f.recordMessage(`written during the outage #${i}`);
    await f.drain();
    // each failed and waits for a retry
    const waiting = (await f.deliveries()).filter((d) => d.status === 'pending');
    expect(waiting).toHaveLength(3);
    for (const d of waiting) expect(d.nextAttemptAt?.getTime()).toBeGreaterThan(Date.now());
    mode = 'up';
    // a new event is attempted at once; its success releases the others
    await f.recordMessage('the first after the outage');
    const before = crm.received.length;
    await f.drain();
    const sent = crm.received.slice(before).map((r) => String(r.headers['webhook-id']));
    expect(sent).toHaveLength(4);
    const all = await f.deliveries();
    expect(all.every((d) => d.status === 'succeeded')).toBe(true);
    // the backlog went out oldest first
    const backlog = waiting.map((d) => d.id);
    expect(sent.filter((id) => backlog.includes(id))).toEqual(backlog);
  });
});
