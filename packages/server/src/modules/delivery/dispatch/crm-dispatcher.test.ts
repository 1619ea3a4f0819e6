import { recordAll } from '../../../events/inbox-events.ts';
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../../test/db.ts';
import { createAccount } from '../../../../test/factories.ts';
import type { Database } from '../../../db/client.ts';
import { createUnitsOfWork } from '../../../db/unit-of-work.ts';
import { createCrmOutbox } from '../outbox/crm-outbox.ts';
import { CRM_CHANNEL } from '../outbox/crm-outbox.repository.ts';
import { createProcessLiveness, type ProcessLiveness } from '../../../jobs/process-liveness.ts';
import { createProcessesRepository } from '../../../jobs/processes.repository.ts';
import { accounts, crmDeliveries } from '../../../db/schema/index.ts';
import { createTokenVault } from '../../../shared/crypto/token-vault.ts';
import { parseCidrList } from '../../../shared/net/ip-policy.ts';
import { startReceiver, type Receiver } from '../../../shared/net/test-receivers.ts';
import { createAuditLog } from '../../audit/audit.repository.ts';
import { createCrm, type Crm } from '../../../composition/crm.ts';
import type { CrmSettings } from '../../../config/crm-settings.ts';
import { createConversation, createMessage } from '../crm-test-helpers.ts';
import { generateWebhookSecret } from './standard-webhooks.ts';

const log = pino({ level: 'silent' });
const vault = createTokenVault({ sessionSecret: 'dispatcher-test-secret-0123456789-abcdefghijklmnop' });
const settings: CrmSettings = {
  allowedNetworks: parseCidrList('127.0.0.1/32'),
  allowHttp: true,
  retryScheduleMs: [0, 1000, 1000],
  timeoutMs: 2000,
  disableAfterMs: 3_600_000,
  secretOverlapMs: 86_400_000,
  maxConcurrencyPerEndpoint: 2,
  workerConcurrency: 8,
  backlogPerSecond: 0,
  pollIntervalMs: 10,
};

describe('CRM dispatcher', () => {
  let database: Database;
  const receivers: Receiver[] = [];
  const crms: Crm[] = [];
  const livenesses: ProcessLiveness[] = [];
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    for (const c of crms) {
      await c.dispatcher.stop();
      await c.close();
    }
    for (const l of livenesses) await l.stop();
    await Promise.all(receivers.map((r) => r.close()));
    await database.close();
  });

  /** A dispatcher as one process would run it, with its own live entry in the process registry. */
  async function worker(overrides: Partial<CrmSettings> = {}, now: () => Date = () => new Date()) {
    const db = database.db;
    const owner = createProcessLiveness({ id: randomUUID(), repo: createProcessesRepository(db), role: 'test', log });
    await owner.start();
    livenesses.push(owner);
    // its transactions record no inbox events, so units of work without writers behave as the app's do
    const crm = createCrm({ db, units: createUnitsOfWork(db, []), vault, audit: createAuditLog(db, log), settings: { ...settings, ...overrides }, log, now, owner });
    crms.push(crm);
    return crm;
  }

  async function endpoint(url: string) {
    const account = await createAccount(database.db);
    await database.db
      .update(accounts)
      .set({ crmWebhookUrl: url, webhookSecret: vault.encrypt(generateWebhookSecret()) })
      .where(eq(accounts.id, account.id));
    return account.id;
  }

  /** `now`: the clock `crm` was made with, which its outbox wrote with (the deliveries are due by that clock). */
  async function record(crm: Crm, accountId: string, count: number, now: () => Date = () => new Date()) {
    const { conversation } = await createConversation(database.db, accountId);
    const message = await createMessage(database.db, accountId, conversation.id);
    for (let i = 0; i < count; i += 1) {
      // not handed to `crm`'s dispatcher: it claims them as it would another process's
      await createUnitsOfWork(database.db, [createCrmOutbox({ now, metrics: crm.metrics })]).run((uow) =>
        recordAll(uow, [{ type: 'message.updated', accountId, conversationId: conversation.id, messageId: message.id, occurredAt: new Date() }]),
      );
    }
  }

  const statuses = async (accountId: string) =>
    (await database.db.select().from(crmDeliveries).where(eq(crmDeliveries.accountId, accountId))).map((d) => d.status);

  async function until(check: () => Promise<boolean>) {
    for (let i = 0; i < 500; i += 1) {
      if (await check()) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error('condition never held');
  }

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

  describe('deliveries written by its own process', () => {
    /** events of one conversation recorded in one transaction begun by `transaction()` (as ingestion does) */
    async function recordInOwnTransaction(crm: Crm, accountId: string, count: number, fail = false) {
      const { conversation } = await createConversation(database.db, accountId);
      const message = await createMessage(database.db, accountId, conversation.id);
      const events = Array.from({ length: count }, () => ({
        type: 'message.updated' as const,
        accountId,
        conversationId: conversation.id,
        messageId: message.id,
        occurredAt: new Date(),
      }));
      await createUnitsOfWork(database.db, [crm.outbox]).run(async (uow) => {
        await recordAll(uow, events);
        if (fail) throw new Error('the inbox change failed');
      });
    }
    const rowsOf = (accountId: string) => database.db.select().from(crmDeliveries).where(eq(crmDeliveries.accountId, accountId));
    // earlier tests leave deliveries to hanging endpoints due: a new dispatcher would start with that backlog
    beforeEach(async () => {
      await database.db.update(crmDeliveries).set({ status: 'cancelled', lockedUntil: null }).where(eq(crmDeliveries.status, 'pending'));
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
      const unlisten = await database.listen(CRM_CHANNEL, () => deliverer.dispatcher.poke());
      try {
        await new Promise((resolve) => setTimeout(resolve, 50));
        await recordInOwnTransaction(api, accountId, 2);
        expect((await rowsOf(accountId)).map((r) => r.lockedUntil)).toEqual([null, null]);
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
      const unlisten = await database.listen(CRM_CHANNEL, () => {
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
      await database.db.update(accounts).set({ crmFailingSince: new Date(), crmProbeAt: new Date(Date.now() + 3_600_000) }).where(eq(accounts.id, failing));
      await recordInOwnTransaction(crm, failing, 1);
      expect((await rowsOf(failing)).map((r) => [r.attemptCount, r.lockedUntil])).toEqual([[0, null]]);
      await crm.dispatcher.stop();
    });
  });

  it('disables an endpoint that has failed for the whole failure period, saying why', async () => {
    const failing = await startReceiver((_req, res) => res.writeHead(503).end());
    receivers.push(failing);
    const accountId = await endpoint(`${failing.url}/down`);
    let clock = Date.now();
    const crm = await worker({ retryScheduleMs: [0, 1000, 1000, 1000] }, () => new Date(clock));
    await record(crm, accountId, 1, () => new Date(clock));
    await crm.dispatcher.runOnce();
    let [account] = await database.db.select().from(accounts).where(eq(accounts.id, accountId));
    expect(account?.crmFailingSince).not.toBeNull();
    expect(account?.crmDisabledAt).toBeNull();
    clock += 2 * 3_600_000;
    await crm.dispatcher.runOnce();
    [account] = await database.db.select().from(accounts).where(eq(accounts.id, accountId));
    expect(account?.crmDisabledAt).not.toBeNull();
    expect(account?.crmDisabledReason).toMatch(/Every delivery has failed since .* \(2 h\); last error: The endpoint answered 503/);
    // a disabled endpoint is not tried, and keeps what is pending
    clock += 3_600_000;
    expect(await crm.dispatcher.runOnce()).toBe(0);
    expect(await statuses(accountId)).toEqual(['pending']);
    expect((await crm.metrics.snapshot()).endpointsDisabled.failing).toBeGreaterThanOrEqual(1);
  });
});
