import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase } from './db.ts';
import { createAccount } from './factories.ts';
import type { Database } from '../src/db/client.ts';
import { accounts, crmDeliveries } from '../src/db/schema/index.ts';
import { createUnitsOfWork } from '../src/db/unit-of-work.ts';
import { recordAll } from '../src/events/inbox-events.ts';
import { createProcessLiveness, type ProcessLiveness } from '../src/jobs/process-liveness.ts';
import { createProcessesRepository } from '../src/jobs/processes.repository.ts';
import { createTokenVault } from '../src/shared/crypto/token-vault.ts';
import { parseCidrList } from '../src/shared/net/ip-policy.ts';
import type { Receiver } from '../src/shared/net/test-receivers.ts';
import { createAuditLog } from '../src/modules/audit/audit.repository.ts';
import { createCrm, type Crm } from '../src/composition/crm.ts';
import type { CrmSettings } from '../src/config/crm-settings.ts';
import { createConversation, createMessage } from '../src/modules/delivery/crm-test-helpers.ts';
import { createCrmOutbox } from '../src/modules/delivery/outbox/crm-outbox.ts';
import { generateWebhookSecret } from '../src/modules/delivery/dispatch/standard-webhooks.ts';

const log = pino({ level: 'silent' });
const vault = createTokenVault({ sessionSecret: 'dispatcher-test-secret-0123456789-abcdefghijklmnop' });
export const dispatcherTestSettings: CrmSettings = {
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

/**
 * The CRM dispatcher tests' world, for the `describe` it is called in: one test database, dispatchers as processes
 * run them (each with its live entry in the process registry), endpoints, and the receivers a test starts, all
 * stopped and closed after the last test.
 */
export function useDispatcherWorld() {
  let database: Database | undefined;
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
    await database?.close();
  });
  const db = () => {
    if (!database) throw new Error('the dispatcher world is used before its beforeAll');
    return database;
  };

  /** A dispatcher as one process would run it, with its own live entry in the process registry. */
  async function worker(overrides: Partial<CrmSettings> = {}, now: () => Date = () => new Date()) {
    const owner = createProcessLiveness({ id: randomUUID(), repo: createProcessesRepository(db().db), role: 'test', log });
    await owner.start();
    livenesses.push(owner);
    // its transactions record no inbox events, so units of work without writers behave as the app's do
    const crm = createCrm({
      db: db().db,
      units: createUnitsOfWork(db().db, []),
      vault,
      audit: createAuditLog(db().db, log),
      settings: { ...dispatcherTestSettings, ...overrides },
      log,
      now,
      owner,
    });
    crms.push(crm);
    // its id in the process registry: what its claims and hand-overs write into `locked_by`
    return Object.assign(crm, { processId: owner.id });
  }

  async function endpoint(url: string) {
    const account = await createAccount(db().db);
    await db()
      .db.update(accounts)
      .set({ crmWebhookUrl: url, webhookSecret: vault.encrypt(generateWebhookSecret()) })
      .where(eq(accounts.id, account.id));
    return account.id;
  }

  /** `now`: the clock `crm` was made with, which its outbox wrote with (the deliveries are due by that clock). */
  async function record(crm: Crm, accountId: string, count: number, now: () => Date = () => new Date()) {
    const { conversation } = await createConversation(db().db, accountId);
    const message = await createMessage(db().db, accountId, conversation.id);
    for (let i = 0; i < count; i += 1) {
      // not handed to `crm`'s dispatcher: it claims them as it would another process's
      await createUnitsOfWork(db().db, [createCrmOutbox({ now, metrics: crm.metrics })]).run((uow) =>
        recordAll(uow, [{ type: 'message.updated', accountId, conversationId: conversation.id, messageId: message.id, occurredAt: new Date() }]),
      );
    }
  }

  const statuses = async (accountId: string) =>
    (await db().db.select().from(crmDeliveries).where(eq(crmDeliveries.accountId, accountId))).map((d) => d.status);

  async function until(check: () => Promise<boolean>) {
    for (let i = 0; i < 500; i += 1) {
      if (await check()) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error('condition never held');
  }

  return { database: db, receivers, worker, endpoint, record, statuses, until };
}
