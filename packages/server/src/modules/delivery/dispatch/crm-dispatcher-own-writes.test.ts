import { eq } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { accounts, crmDeliveries } from '../../../db/schema/index.ts';
import { recordAll } from '../../../events/inbox-events.ts';
import { createUnitsOfWork } from '../../../db/unit-of-work.ts';
import { startReceiver } from '../../../shared/net/test-receivers.ts';
import type { Crm } from '../../../composition/crm.ts';
import { createConversation, createMessage } from '../crm-test-helpers.ts';
import { CRM_CHANNEL } from '../outbox/crm-outbox.repository.ts';
import { dispatcherTestSettings as settings, useDispatcherWorld } from '../../../../test/crm-dispatcher-world.ts';

describe('CRM dispatcher: deliveries written by its own process', () => {
  const { database: db, receivers, worker, endpoint, statuses, until } = useDispatcherWorld();

  /** events of one conversation recorded in one transaction begun by `transaction()` (as ingestion does) */
  async function recordInOwnTransaction(crm: Crm, accountId: string, count: number, fail = false) {
    const { conversation } = await createConversation(db().db, accountId);
    const message = await createMessage(db().db, accountId, conversation.id);
    const events = Array.from({ length: count }, () => ({
      type: 'message.updated' as const,
      accountId,
      conversationId: conversation.id,
      messageId: message.id,
      occurredAt: new Date(),
    }));
    await createUnitsOfWork(db().db, [crm.outbox]).run(async (uow) => {
      await recordAll(uow, events);
      if (fail) throw new Error('the inbox change failed');
    });
  }
  const rowsOf = (accountId: string) => db().db.select().from(crmDeliveries).where(eq(crmDeliveries.accountId, accountId));
  // deliveries an earlier test left pending would be a new dispatcher's backlog: each test starts without any
  beforeEach(async () => {
    await db().db.update(crmDeliveries).set({ status: 'cancelled', lockedUntil: null }).where(eq(crmDeliveries.status, 'pending'));
  });

  it('go to its workers after the commit, already claimed, without waiting for a poll', async () => {
    const receiver = await startReceiver((_req, res) => res.writeHead(204).end());
    receivers.push(receiver);
    const accountId = await endpoint(`${receiver.url}/handed`);
    // a poll a minute away: only the hand-over can deliver within the test's patience
    const crm = await worker({ pollIntervalMs: 60_000 });
    crm.dispatcher.start();
    await new Promise((resolve) => setTimeout(resolve, 50)); // the first look finds nothing due: caught up
    await recordInOwnTransaction(crm, accountId, 2);
    await until(async () => (await statuses(accountId)).every((s) => s === 'succeeded'));
    const rows = await rowsOf(accountId);
    expect(rows.map((r) => [r.attemptCount, r.lockedUntil])).toEqual([
      [1, null],
      [1, null],
    ]);
    expect(receiver.received.map((r) => r.headers['webhook-id']).sort()).toEqual(rows.map((r) => r.id).sort());
    await crm.dispatcher.stop();
  });

  it('are all taken by the process, never more than the endpoint cap at once: the rest wait in it for a slot', async () => {
    let answer: (() => void)[] = [];
    const receiver = await startReceiver((_req, res) => answer.push(() => res.writeHead(204).end()));
    receivers.push(receiver);
    const accountId = await endpoint(`${receiver.url}/capped`);
    const crm = await worker({ pollIntervalMs: 60_000 });
    crm.dispatcher.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await recordInOwnTransaction(crm, accountId, 5);
    const rows = await rowsOf(accountId);
    expect(rows.filter((r) => r.lockedUntil !== null && r.attemptCount === 1)).toHaveLength(5);
    // the held ones start as the first ones are answered; never more than the cap at once
    await until(async () => {
      expect(answer.length).toBeLessThanOrEqual(settings.maxConcurrencyPerEndpoint);
      for (const a of answer.splice(0)) a();
      return (await statuses(accountId)).every((s) => s === 'succeeded');
    });
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(5);
    answer = [];
    await crm.dispatcher.stop();
  });

  it('are retried when their retry comes due, with the poll a minute away', async () => {
    let calls = 0;
    const receiver = await startReceiver((_req, res) => res.writeHead((calls += 1) === 1 ? 503 : 204).end());
    receivers.push(receiver);
    const accountId = await endpoint(`${receiver.url}/retried`);
    const crm = await worker({ pollIntervalMs: 60_000, retryScheduleMs: [0, 300] });
    crm.dispatcher.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await recordInOwnTransaction(crm, accountId, 1);
    await until(async () => (await statuses(accountId)).every((s) => s === 'succeeded'));
    expect(receiver.received).toHaveLength(2);
    await crm.dispatcher.stop();
  });

  it('are announced by a process whose dispatcher does not run, and claimed at once where one listens', async () => {
    const receiver = await startReceiver((_req, res) => res.writeHead(204).end());
    receivers.push(receiver);
    const accountId = await endpoint(`${receiver.url}/announced`);
    // `serve --no-workers`: its CRM writes deliveries but delivers nothing
    const api = await worker();
    const deliverer = await worker({ pollIntervalMs: 60_000 });
    deliverer.dispatcher.start();
    // as app.ts wires a worker process
    const unlisten = await db().listen(CRM_CHANNEL, () => deliverer.dispatcher.poke());
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      await recordInOwnTransaction(api, accountId, 2);
      // not handed to the writing process itself (the listening one may have claimed them already)
      const written = await rowsOf(accountId);
      expect(written).toHaveLength(2);
      for (const row of written) expect(row.lockedBy === null || row.lockedBy === deliverer.processId).toBe(true);
      await until(async () => (await statuses(accountId)).every((s) => s === 'succeeded'));
      expect(receiver.received).toHaveLength(2);
    } finally {
      await unlisten();
      await deliverer.dispatcher.stop();
    }
  });

  it('are sent by a process that only hands over (`serve --no-workers`); what it has no room for goes to the workers', async () => {
    const receiver = await startReceiver((_req, res) => res.writeHead(204).end());
    receivers.push(receiver);
    const accountId = await endpoint(`${receiver.url}/handed-by-api`);
    const api = await worker({ workerConcurrency: 2, maxConcurrencyPerEndpoint: 2 });
    api.dispatcher.startHandingOver();
    // the announcement wakes it at once; its claim may find the endpoint at its cap with the API process's own
    // attempts, and then looks again at its poll (a second by default)
    const deliverer = await worker({ pollIntervalMs: 100 });
    deliverer.dispatcher.start();
    let announcements = 0;
    const unlisten = await db().listen(CRM_CHANNEL, () => {
      announcements += 1;
      deliverer.dispatcher.poke();
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      // two: both taken by the API process itself, claimed in the rows it wrote, nothing announced
      await recordInOwnTransaction(api, accountId, 2);
      const handed = await rowsOf(accountId);
      expect(handed.map((r) => [r.attemptCount, r.lockedUntil !== null])).toEqual([
        [1, true],
        [1, true],
      ]);
      await until(async () => (await statuses(accountId)).every((s) => s === 'succeeded'));
      expect(announcements).toBe(0);
      // five at once: two handed over (its room), three written unclaimed and announced to the worker
      await recordInOwnTransaction(api, accountId, 5);
      expect((await rowsOf(accountId)).filter((r) => r.lockedUntil === null && r.attemptCount === 0)).toHaveLength(3);
      await until(async () => (await statuses(accountId)).length === 7 && (await statuses(accountId)).every((s) => s === 'succeeded'));
      expect(announcements).toBeGreaterThan(0);
      expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(7);
      expect(receiver.received).toHaveLength(7);
    } finally {
      await unlisten();
      await api.dispatcher.stop();
      await deliverer.dispatcher.stop();
    }
  });

  it('give their slots back when the transaction rolls back, and a failing endpoint gets none', async () => {
    const receiver = await startReceiver((_req, res) => res.writeHead(204).end());
    receivers.push(receiver);
    const accountId = await endpoint(`${receiver.url}/rolled-back`);
    const crm = await worker({ pollIntervalMs: 60_000 });
    crm.dispatcher.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(recordInOwnTransaction(crm, accountId, 2, true)).rejects.toThrow('the inbox change failed');
    expect(await rowsOf(accountId)).toEqual([]);
    await recordInOwnTransaction(crm, accountId, 2);
    await until(async () => (await statuses(accountId)).length === 2 && (await statuses(accountId)).every((s) => s === 'succeeded'));

    const failing = await endpoint(`${receiver.url}/failing`);
    // its probe is due in an hour, as a failing endpoint's is: a running dispatcher takes none of its rows meanwhile
    await db().db.update(accounts).set({ crmFailingSince: new Date(), crmProbeAt: new Date(Date.now() + 3_600_000) }).where(eq(accounts.id, failing));
    await recordInOwnTransaction(crm, failing, 1);
    expect((await rowsOf(failing)).map((r) => [r.attemptCount, r.lockedUntil])).toEqual([[0, null]]);
    await crm.dispatcher.stop();
  });
});
