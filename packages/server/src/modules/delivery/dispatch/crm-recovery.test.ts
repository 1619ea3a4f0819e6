import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accounts, crmDeliveries, processes } from '../../../db/schema/index.ts';
import { createUnitsOfWork } from '../../../db/unit-of-work.ts';
import { recordAll } from '../../../events/inbox-events.ts';
import { startReceiver, type Receiver } from '../../../shared/net/test-receivers.ts';
import { createConversation, createCrmFixture, createMessage, type CrmFixture } from '../crm-test-helpers.ts';
import { createCrmOutbox } from '../outbox/crm-outbox.ts';
import { MIN_PROBE_DELAY_MS } from './crm-schedule.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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

  /** Three deliveries written while the endpoint failed, each waiting for its retry; the endpoint answers again. */
  const backlogOfThree = async () => {
    mode = 'down';
    for (let i = 0; i < 3; i += 1) await f.recordMessage(`backlog #${i}`);
    await f.drain();
    const backlog = (await f.deliveries()).filter((d) => d.status === 'pending').map((d) => d.id);
    expect(backlog).toHaveLength(3);
    mode = 'up';
    return backlog;
  };

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
    // a new event is attempted as the endpoint's next probe; its success releases the others
    await f.recordMessage('the first after the outage');
    await sleep(MIN_PROBE_DELAY_MS + 20);
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

  it('probes a failing endpoint one attempt at a time, not with every delivery written meanwhile, then sends them in order', async () => {
    mode = 'down';
    await f.recordMessage('the failure that starts the outage');
    await f.drain();
    const before = crm.received.length;
    for (let i = 0; i < 20; i += 1) await f.recordMessage(`written while the endpoint fails #${i}`);
    const started = Date.now();
    while (Date.now() - started < 10 * MIN_PROBE_DELAY_MS) {
      await f.drain();
      await sleep(10);
    }
    const probes = crm.received.length - before;
    // one attempt per probe delay at most (it was 20: every delivery tried at once, each failing on its own)
    expect(probes).toBeGreaterThanOrEqual(1);
    expect(probes).toBeLessThanOrEqual(Math.floor((Date.now() - started) / MIN_PROBE_DELAY_MS) + 1);
    const untried = (await f.deliveries()).filter((d) => d.status === 'pending' && d.attemptCount === 0);
    expect(untried.length).toBeGreaterThanOrEqual(20 - probes);

    mode = 'up';
    await sleep(MIN_PROBE_DELAY_MS + 20);
    const upFrom = crm.received.length;
    await f.drain();
    const all = await f.deliveries();
    expect(all.every((d) => d.status === 'succeeded')).toBe(true);
    // after the probe that found it answering, the rest went out oldest first
    const sent = crm.received.slice(upFrom + 1).map((r) => String(r.headers['webhook-id']));
    const written = all.map((d) => d.id).filter((id) => sent.includes(id));
    expect(sent).toEqual(written);
    expect(sent.length).toBeGreaterThanOrEqual(20);
  });

  it('sends what was written just before the probe that found the endpoint back ahead of the backlog it releases', async () => {
    const backlog = await backlogOfThree();
    // two events written as it came back, before a probe found it: the first is that probe (due now)
    await f.db.update(accounts).set({ crmProbeAt: new Date() }).where(eq(accounts.id, f.accountId));
    await f.recordMessage('the probe');
    await f.recordMessage('written as it came back');
    const before = crm.received.length;
    await f.drain();
    const sent = crm.received.slice(before).map((r) => String(r.headers['webhook-id']));
    const recent = (await f.deliveries()).filter((d) => !backlog.includes(d.id)).slice(-2).map((d) => d.id);
    expect(sent).toEqual([...recent, ...backlog]);
  });

  // Two transactions at once: PGlite has one connection, on which the second would wait for the first.
  it.skipIf(!process.env.TEST_DATABASE_URL)(
    'sends what a transaction wrote as the probe that found the endpoint back was recorded ahead of the backlog, not behind it',
    async () => {
      const backlog = await backlogOfThree();
      // the backlog is due, and so is the endpoint's next probe
      await f.makeDue();
      const existing = new Set((await f.deliveries()).map((d) => d.id));
      // a webhook batch writes an event while the endpoint still counts as failing, and has not committed yet
      const { conversation } = await createConversation(f.db, f.accountId);
      const message = await createMessage(f.db, f.accountId, conversation.id);
      let commit = () => {};
      let written = () => {};
      const wrote = new Promise<void>((resolve) => (written = resolve));
      const open = createUnitsOfWork(f.db, [createCrmOutbox({ metrics: f.t.crm.metrics })]).run(async (uow) => {
        await recordAll(uow, [{ type: 'message.received', accountId: f.accountId, conversationId: conversation.id, messageId: message.id, occurredAt: message.sentAt }]);
        written();
        await new Promise<void>((resolve) => (commit = resolve));
      });
      await wrote;
      // meanwhile the probe (the oldest of the backlog) finds the endpoint back; its outcome is recorded once the batch
      // has committed, so the release sees the batch's event (unlocked, it was released first, and the batch's event
      // went out behind the whole backlog)
      const before = crm.received.length;
      const draining = f.drain();
      await sleep(300);
      commit();
      await open;
      await draining;
      await f.drain();
      const sent = crm.received.slice(before).map((r) => String(r.headers['webhook-id']));
      const batch = (await f.deliveries()).filter((d) => !existing.has(d.id)).map((d) => d.id);
      expect(batch).toHaveLength(1);
      expect(sent).toEqual([backlog[0], ...batch, ...backlog.slice(1)]);
    },
  );
});
