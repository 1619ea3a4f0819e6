import { eq } from 'drizzle-orm';
import { createSimulator, SimClient, type Simulator } from '@threadline/instagram-sim';
import { accounts } from '../src/db/schema/index.ts';
import type { Env } from '../src/config.ts';
import type { AppOverrides } from '../src/app.ts';
import { createTestApp, login, type TestApp } from './app.ts';
import { createAccount, createUser } from './factories.ts';
import { META_ENV } from './meta.ts';
import { drainSends } from './sends.ts';

export type SimWorld = {
  sim: Simulator;
  control: SimClient;
  t: TestApp;
  /** The simulated Instagram account and Threadline's row for it. */
  igId: string;
  accountId: string;
  appId: string;
  tokens: { owner: string; admin: string; viewer: string; stranger: string };
  /** Runs send jobs until none is waiting (a message waits briefly for an earlier one of its conversation). */
  drainSends(): Promise<void>;
  /** A new simulated customer who has just written to the account (so the window is open). */
  customerWrites(text?: string): Promise<{ igsid: string; mid: string; conversationId: string }>;
  close(): Promise<void>;
};

/**
 * Threadline listening on a port, wired to an in-process Meta simulator (webhooks in both directions), with one
 * connected account and four users: owner, admin, viewer, and a stranger who is not a member.
 */
export async function createSimWorld(env: Env = {}, overrides: AppOverrides = {}): Promise<SimWorld> {
  const sim = createSimulator({ deliveryTickMs: 0 });
  const simUrl = await sim.listen(0);
  const control = new SimClient(simUrl);
  const t = await createTestApp(
    { ...META_ENV, INSTAGRAM_GRAPH_URL: simUrl, INSTAGRAM_API_URL: simUrl, INSTAGRAM_AUTHORIZE_URL: `${simUrl}/oauth/authorize`, ...env },
    overrides,
  );
  await t.startWorkers();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const app = await control.createApp({ secret: META_ENV.INSTAGRAM_OAUTH_CLIENT_SECRET });
  await control.setWebhook(app.id, { callbackUrl: `http://127.0.0.1:${port}/webhooks/instagram`, verifyToken: META_ENV.INSTAGRAM_VERIFY_TOKEN });
  const igAccount = await control.createAccount({ username: 'acme_shop', name: 'Acme Shop' });
  const { access_token: token } = await control.issueToken({ appId: app.id, accountId: igAccount.igId });
  await control.subscribe({ appId: app.id, accountId: igAccount.igId });

  const db = t.database.db;
  const users = {
    owner: await createUser(db, { username: 'owner', password: 'owner-password' }),
    admin: await createUser(db, { username: 'teammate', password: 'teammate-password' }),
    viewer: await createUser(db, { username: 'viewer', password: 'viewer-password' }),
    stranger: await createUser(db, { username: 'stranger', password: 'stranger-password' }),
  };
  const account = await createAccount(db, {
    igUserId: igAccount.igId,
    username: 'acme_shop',
    members: [
      { userId: users.owner.id, role: 'owner', isPrimary: true },
      { userId: users.admin.id, role: 'admin', isPrimary: true },
      { userId: users.viewer.id, role: 'viewer', isPrimary: true },
    ],
  });
  await createAccount(db, { members: [{ userId: users.stranger.id, role: 'owner', isPrimary: true }] });
  await db.update(accounts).set({ accessTokenEncrypted: t.vault.encrypt(token) }).where(eq(accounts.id, account.id));

  const tokens = {
    owner: (await login(t, 'owner', 'owner-password')).token,
    admin: (await login(t, 'teammate', 'teammate-password')).token,
    viewer: (await login(t, 'viewer', 'viewer-password')).token,
    stranger: (await login(t, 'stranger', 'stranger-password')).token,
  };
  let n = 0;
  return {
    sim,
    control,
    t,
    igId: igAccount.igId,
    accountId: account.id,
    appId: app.id,
    tokens,
    drainSends: () => drainSends(t),
    async customerWrites(text = 'Hello, is this still available?') {
      n += 1;
      const customer = await control.createCustomer({ username: `customer_${n}`, name: `Customer ${n}` });
      const sent = await control.sendText(customer.igsid, igAccount.igId, text);
      await t.services.webhookProcessor.runUntilIdle();
      const list = await t.services.inboxRepo.findConversationByIgsid(account.id, customer.igsid);
      if (!list) throw new Error('conversation was not created');
      return { igsid: customer.igsid, mid: sent.mid, conversationId: list.conversation.id };
    },
    async close() {
      await t.close();
      await sim.close();
    },
  };
}
