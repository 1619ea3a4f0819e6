import { recordAll } from '../../events/inbox-events.ts';
import { createUnitsOfWork } from '../../db/unit-of-work.ts';
import { createCrmOutbox } from './outbox/crm-outbox.ts';
import { randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { bearer, createTestApp, login, type TestApp } from '../../../test/app.ts';
import { createAccount, createUser } from '../../../test/factories.ts';
import type { Env } from '../../config.ts';
import type { Db } from '../../db/client.ts';
import { contacts, conversations, crmDeliveries, messages } from '../../db/schema/index.ts';
import { startReceiver, type Receiver } from '../../shared/net/test-receivers.ts';

/** Inbox rows for CRM tests (the inbox module owns the real writes). */
export async function createConversation(db: Db, accountId: string, opts: { username?: string } = {}) {
  const [contact] = await db
    .insert(contacts)
    .values({ accountId, igsid: `9${randomBytes(7).readUIntBE(0, 6)}`, username: opts.username ?? 'customer', name: 'A Customer' })
    .returning();
  if (!contact) throw new Error('no contact');
  const [conversation] = await db
    .insert(conversations)
    .values({ accountId, contactId: contact.id, igConversationId: `aWdf${randomBytes(6).toString('hex')}` })
    .returning();
  if (!conversation) throw new Error('no conversation');
  return { contact, conversation };
}

export async function createMessage(
  db: Db,
  accountId: string,
  conversationId: string,
  opts: { text?: string; direction?: 'inbound' | 'outbound' } = {},
) {
  const inbound = (opts.direction ?? 'inbound') === 'inbound';
  const [message] = await db
    .insert(messages)
    .values({
      accountId,
      conversationId,
      mid: `aWdfbWlk${randomBytes(8).toString('hex')}`,
      direction: inbound ? 'inbound' : 'outbound',
      authorType: inbound ? 'contact' : 'user',
      text: opts.text ?? 'Hello, is this in stock?',
      attachments: [{ type: 'image', url: 'https://cdn.example.test/a.jpg' }],
      status: inbound ? 'received' : 'sent',
      sentAt: new Date('2025-05-01T10:00:00.123Z'),
    })
    .returning();
  if (!message) throw new Error('no message');
  return message;
}

export type CrmFixture = {
  t: TestApp;
  ownerToken: string;
  viewerToken: string;
  strangerToken: string;
  accountId: string;
  db: Db;
  /** PATCHes the account's CRM URL as its owner. */
  setUrl(url: string | null): Promise<LightMyRequestResponse>;
  secret(): Promise<string>;
  /** Records an inbox event, as the ingestion pipeline does, in a transaction. */
  recordMessage(text?: string): Promise<{ conversationId: string; messageId: string }>;
  /** Makes every pending delivery of the account due now (instead of waiting for its retry time), and its probe. */
  makeDue(): Promise<void>;
  /** Runs the dispatcher until nothing is due. */
  drain(): Promise<void>;
  deliveries(): Promise<(typeof crmDeliveries.$inferSelect)[]>;
};

/** A test app whose CRM may reach receivers on 127.0.0.1 only, an owner, a viewer and a stranger. */
export async function createCrmFixture(env: Env = {}): Promise<CrmFixture> {
  const t = await createTestApp({
    CRM_ALLOWED_NETWORKS: '127.0.0.1/32',
    CRM_RETRY_SCHEDULE: '0,1s,1s,1s',
    CRM_TIMEOUT_MS: '2500',
    ...env,
  });
  const db = t.database.db;
  const suffix = randomBytes(3).toString('hex');
  const owner = await createUser(db, { username: `owner_${suffix}`, password: 'owner-password' });
  const viewer = await createUser(db, { username: `viewer_${suffix}`, password: 'viewer-password' });
  await createUser(db, { username: `stranger_${suffix}`, password: 'stranger-password' });
  const account = await createAccount(db, { members: [{ userId: owner.id, role: 'owner' }, { userId: viewer.id, role: 'viewer' }] });
  const ownerToken = (await login(t, `owner_${suffix}`, 'owner-password')).token;
  const viewerToken = (await login(t, `viewer_${suffix}`, 'viewer-password')).token;
  const strangerToken = (await login(t, `stranger_${suffix}`, 'stranger-password')).token;
  const accountId = account.id;
  return {
    t,
    ownerToken,
    viewerToken,
    strangerToken,
    accountId,
    db,
    setUrl: (url) =>
      t.app.inject({ method: 'PATCH', url: `/api/v1/accounts/${accountId}`, headers: bearer(ownerToken), payload: { crm_webhook_url: url } }),
    async secret() {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/accounts/${accountId}/webhook-secret`, headers: bearer(ownerToken) });
      return res.json<{ secret: string }>().secret;
    },
    async recordMessage(text) {
      const { conversation } = await createConversation(db, accountId);
      const message = await createMessage(db, accountId, conversation.id, text === undefined ? {} : { text });
      // an outbox without this process's dispatcher: the delivery waits for `drain`, as one another process wrote
      await createUnitsOfWork(db, [createCrmOutbox({ metrics: t.crm.metrics })]).run((uow) =>
        recordAll(uow, [{ type: 'message.received', accountId, conversationId: conversation.id, messageId: message.id, occurredAt: message.sentAt }]),
      );
      return { conversationId: conversation.id, messageId: message.id };
    },
    async makeDue() {
      await db
        .update(crmDeliveries)
        .set({ nextAttemptAt: new Date(Date.now() - 1000) })
        .where(and(eq(crmDeliveries.accountId, accountId), eq(crmDeliveries.status, 'pending')));
      // and the endpoint's next probe, if it is failing
      await t.crm.repo.updateAccount(accountId, { crmProbeAt: null });
    },
    async drain() {
      for (let i = 0; i < 100; i += 1) {
        if ((await t.crm.dispatcher.runOnce()) === 0) return;
      }
      throw new Error('the dispatcher never ran dry');
    },
    deliveries: () => db.select().from(crmDeliveries).where(eq(crmDeliveries.accountId, accountId)).orderBy(crmDeliveries.createdAt, crmDeliveries.id),
  };
}

/** CRM receivers a test file starts as it goes (`start`), closed together after it (`closeAll`). */
export function receiverPool() {
  const started: Receiver[] = [];
  return {
    async start(handle: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
      const r = await startReceiver(handle);
      started.push(r);
      return r;
    },
    closeAll: () => Promise.all(started.map((r) => r.close())),
  };
}
