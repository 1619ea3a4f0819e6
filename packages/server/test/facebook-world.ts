import { eq } from 'drizzle-orm';
import { accounts } from '../src/db/schema/index.ts';
import { browserFacebookLogin, facebookPerson } from '../src/modules/oauth/facebook-test-world.ts';
import { startOAuthWorld, type OAuthWorld } from '../src/modules/oauth/oauth-test-world.ts';
import { VERIFY_TOKEN } from './meta.ts';
import { drainSends } from './sends.ts';

export type FacebookWorld = OAuthWorld & {
  /** The simulated account (reached through its Page), and Threadline's row for it. */
  igId: string;
  pageId: string;
  personId: string;
  accountId: string;
  /** The session of the person who signed in with Facebook (owner of the account). */
  session: string;
  drainSends(): Promise<void>;
  /** A new simulated customer who has just written to the account (so the window is open), through the webhook. */
  customerWrites(text?: string): Promise<{ igsid: string; mid: string; conversationId: string }>;
};

/**
 * Threadline listening on a port, wired to an in-process Meta simulator (webhooks in both directions), with one
 * Instagram account linked through "Continue with Facebook" (its Page token is the only token Threadline holds).
 */
export async function createFacebookWorld(): Promise<FacebookWorld> {
  const w = await startOAuthWorld({ INSTAGRAM_VERIFY_TOKEN: VERIFY_TOKEN });
  await w.t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = w.t.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await w.control.setWebhook(w.appId, { callbackUrl: `http://127.0.0.1:${port}/webhooks/instagram`, verifyToken: VERIFY_TOKEN });
  const { person, pages } = await facebookPerson(w, 'Corner Owner', [{ page: 'Corner Shop', instagram: 'corner_shop' }]);
  const linked = pages[0];
  if (!linked?.account) throw new Error('no account');
  const run = await browserFacebookLogin(w, {});
  const [row] = await w.t.database.db.select().from(accounts).where(eq(accounts.igUserId, linked.account.igId));
  if (!row || !run.sessionToken) throw new Error(`linking failed: ${run.location ?? run.body}`);
  let n = 0;
  return {
    ...w,
    igId: linked.account.igId,
    pageId: linked.page.id,
    personId: person.id,
    accountId: row.id,
    session: run.sessionToken,
    drainSends: () => drainSends(w.t),
    async customerWrites(text = 'Hello, is this still available?') {
      n += 1;
      const customer = await w.control.createCustomer({ username: `fb_customer_${n}`, name: `Facebook Customer ${n}` });
      const sent = await w.control.sendText(customer.igsid, linked.account?.igId ?? '', text);
      await w.t.services.webhookProcessor.runUntilIdle();
      const found = await w.t.services.inboxRepo.findConversationByIgsid(row.id, customer.igsid);
      if (!found) throw new Error('conversation was not created');
      return { igsid: customer.igsid, mid: sent.mid, conversationId: found.conversation.id };
    },
  };
}
