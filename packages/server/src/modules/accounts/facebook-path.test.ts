import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../../../test/app.ts';
import { createFacebookWorld, type FacebookWorld } from '../../../test/facebook-world.ts';
import { accounts, contacts, messages } from '../../db/schema/index.ts';
import { browserFacebookLogin } from '../oauth/facebook-test-world.ts';
import { jobs } from '../../jobs/registry.ts';

/**
 * An Instagram account reached through its Facebook Page, end to end through the real server and the simulator.
 * Threadline holds only the Page token: graph.instagram.com refuses it (190), so every call that succeeds here went
 * to graph.facebook.com, and one that went to the wrong host would leave the account `reauth_required`.
 */
describe('an account linked through its Facebook Page', () => {
  let w: FacebookWorld;
  /** The owner's session; signing in with Facebook again renews it once the simulated clock has moved past it. */
  let session: string;
  beforeAll(async () => {
    w = await createFacebookWorld();
    session = w.session;
    await w.control.setVariants({ rateLimits: { conversationsPerSecond: 50 } });
  });
  afterAll(async () => w.close());

  const db = () => w.t.database.db;
  const accountRow = async () => (await db().select().from(accounts).where(eq(accounts.id, w.accountId)))[0];
  const post = (url: string, payload: unknown, headers: Record<string, string> = bearer(session)) =>
    w.t.app.inject({ method: 'POST', url, headers, payload: payload as object });
  const messagesOf = async (conversationId: string) =>
    (await w.t.app.inject({ method: 'GET', url: `/api/v1/ui/conversations/${conversationId}/messages`, headers: bearer(session) })).json<{
      messages: { id: string; text: string | null; status: string; mid: string | null }[];
    }>().messages;

  it('receives the customer’s DM through /webhooks/instagram, signed with the Facebook app secret, into the same inbox', async () => {
    const c = await w.customerWrites('Is the corner shop open on Sunday?');
    const attempt = (await w.control.webhookAttempts()).filter((a) => a.kind === 'event').at(-1);
    expect(attempt).toMatchObject({ ok: true, status: 200 });
    expect(await messagesOf(c.conversationId)).toMatchObject([{ text: 'Is the corner shop open on Sunday?', status: 'received' }]);
    const list = await w.t.app.inject({ method: 'GET', url: '/api/v1/ui/conversations', headers: bearer(session) });
    expect(list.json().conversations).toContainEqual(expect.objectContaining({ id: c.conversationId }));
  });

  it('sends a reply from the inbox and one from the CRM API to graph.facebook.com with the Page token', async () => {
    const c = await w.customerWrites('Do you deliver?');
    const fromInbox = await post(`/api/v1/ui/conversations/${c.conversationId}/messages`, { text: 'Yes, within the city.' });
    expect(fromInbox.statusCode).toBe(202);
    const key = (await post(`/api/v1/accounts/${w.accountId}/api-keys`, { name: 'crm', scopes: ['messages:send'] })).json<{ key: string }>().key;
    const fromApi = await post('/api/v1/messages', { recipient_igsid: c.igsid, text: 'Sent by the CRM' }, { 'x-api-key': key });
    expect(fromApi.statusCode).toBe(202);
    await w.drainSends();

    const outbox = await w.control.outbox({ recipientId: c.igsid });
    expect(outbox.map((o) => o.body.message)).toEqual([{ text: 'Yes, within the city.' }, { text: 'Sent by the CRM' }]);
    expect((await messagesOf(c.conversationId)).filter((m) => m.status === 'sent').map((m) => m.mid).sort()).toEqual(outbox.map((o) => o.mid).sort());
    expect(await accountRow()).toMatchObject({ status: 'active' });
  });

  it('routes a send fault of graph.facebook.com to the message: the call went to that host', async () => {
    const c = await w.customerWrites('Anyone there?');
    await w.control.injectFault({ type: 'error', code: 551, subcode: 1545041, message: 'This person isn\'t available right now.', match: { method: 'POST', pathIncludes: `/facebook/v25.0/${w.pageId}/messages` } });
    const sent = await post(`/api/v1/ui/conversations/${c.conversationId}/messages`, { text: 'Hello?' });
    await w.drainSends();
    const [row] = await db().select().from(messages).where(eq(messages.id, sent.json<{ id: string }>().id));
    expect(row).toMatchObject({ status: 'failed', errorCode: 551, errorSubcode: 1545041 });
  });

  it('reacts and shows typing through the Page, and reads the customer’s profile on graph.facebook.com', async () => {
    const c = await w.customerWrites('Love the window display');
    const [inbound] = await messagesOf(c.conversationId);
    expect((await post(`/api/v1/ui/conversations/${c.conversationId}/messages/${inbound?.id ?? ''}/reactions`, { reaction: 'love' })).statusCode).toBe(200);
    expect((await post(`/api/v1/ui/conversations/${c.conversationId}/actions`, { action: 'typing_on' })).statusCode).toBe(200);
    expect((await w.control.outbox({ recipientId: c.igsid })).map((o) => o.body.sender_action)).toEqual(['react', 'typing_on']);

    await w.t.queue.runPending(jobs.contactsFetchProfile);
    const [contact] = await db().select().from(contacts).where(eq(contacts.igsid, c.igsid));
    expect(contact).toMatchObject({ name: expect.stringMatching(/^Facebook Customer \d+$/), username: expect.stringMatching(/^fb_customer_\d+$/), profileFetchError: null });
    expect(await accountRow()).toMatchObject({ status: 'active' });
  });

  it('reconciles a message the webhooks missed through the Page’s conversations and message lookups', async () => {
    const customer = await w.control.createCustomer({ username: 'quiet_customer', name: 'Quiet Customer' });
    await w.control.setWebhookMode({ hold: true });
    const lost = await w.control.sendText(customer.igsid, w.igId, 'This webhook never arrives');
    await w.control.setWebhookMode({ hold: false });
    expect(await db().select().from(messages).where(eq(messages.mid, lost.mid))).toEqual([]);
    const found = await w.t.services.reconciler.reconcileAccount({ id: w.accountId, igUserId: w.igId }, 5);
    expect(found).toBeGreaterThanOrEqual(1);
    expect(await db().select().from(messages).where(eq(messages.mid, lost.mid))).toMatchObject([{ text: 'This webhook never arrives', direction: 'inbound' }]);
  });

  it('reads the text of an edit that came without it from graph.facebook.com with the Page token', async () => {
    const c = await w.customerWrites('Open at nine?');
    await w.control.emitVariant(c.igsid, { to: w.igId, variant: 'edit_without_text', mid: c.mid, text: 'Open at ten?' });
    await w.t.services.webhookProcessor.runUntilIdle();
    const [pending] = await db().select().from(messages).where(eq(messages.mid, c.mid));
    expect(pending).toMatchObject({ text: 'Open at nine?', editTextState: 'pending' });
    await w.control.advanceClock({ advanceSeconds: 1 });
    expect(await w.t.queue.runPending(jobs.messagesLookup)).toBe(1);
    expect(await messagesOf(c.conversationId)).toMatchObject([{ mid: c.mid, text: 'Open at ten?', edit_text_state: null }]);
    // graph.instagram.com refuses the Page token: a lookup sent there would have left the account reauth_required
    expect(await accountRow()).toMatchObject({ status: 'active' });
  });

  it('leaves the Page token alone in the refresh job, renames the Page in the daily check', async () => {
    await w.control.advanceClock({ advanceDays: 59 });
    expect(await w.t.services.tokenRefresh.runOnce()).toEqual({ refreshed: 0, reauthRequired: 0, failed: 0 });
    await w.control.facebook.updatePage(w.pageId, { name: 'Corner Shop & Café' });
    await w.t.services.profileSync.runOnce();
    expect(await accountRow()).toMatchObject({ status: 'active', facebookPageName: 'Corner Shop & Café', tokenExpiresAt: null });
  });

  it('moves the account to reauth_required when its Page token is revoked, and linking again restores it', async () => {
    const before = await accountRow();
    await w.control.facebook.revokePageTokens(w.pageId, { subcode: 460 });
    await w.control.advanceClock({ advanceHours: 25 });
    const report = await w.t.services.profileSync.runOnce();
    expect(report.reauthRequired).toBe(1);
    expect(await accountRow()).toMatchObject({ status: 'reauth_required', statusReason: 'profile sync refused by Meta (190/460)' });
    expect(w.events).toContainEqual(expect.objectContaining({ type: 'account.reauth_required', accountId: w.accountId }));
    // The session lapsed on the moved clock: signing in with Facebook again finds the same user and relinks the Page.
    const relink = await browserFacebookLogin(w, {});
    expect(relink.location).toMatch(/oauth=success/);
    session = relink.sessionToken ?? '';
    const listed = (await w.t.app.inject({ method: 'GET', url: '/api/v1/accounts/me', headers: bearer(session) })).json();
    expect(listed.accounts).toEqual([expect.objectContaining({ id: w.accountId, status: 'active', login_path: 'facebook_login', role: 'owner' })]);
    const after = await accountRow();
    expect(after).toMatchObject({ status: 'active', statusReason: null });
    expect(w.t.vault.decrypt(after?.accessTokenEncrypted ?? '')).not.toBe(w.t.vault.decrypt(before?.accessTokenEncrypted ?? ''));
    const c = await w.customerWrites('Back again?');
    await post(`/api/v1/ui/conversations/${c.conversationId}/messages`, { text: 'Yes, we are back.' });
    await w.drainSends();
    expect((await w.control.outbox({ recipientId: c.igsid })).map((o) => o.body.message)).toEqual([{ text: 'Yes, we are back.' }]);
  });

  it('notices a Page whose Instagram account was unlinked from it', async () => {
    await w.control.facebook.updatePage(w.pageId, { igAccountId: null });
    await w.control.advanceClock({ advanceHours: 25 });
    await w.t.services.profileSync.runOnce();
    expect(await accountRow()).toMatchObject({ status: 'reauth_required', statusReason: 'the Facebook Page "Corner Shop & Café" is no longer linked to this Instagram account' });
    await w.control.facebook.updatePage(w.pageId, { igAccountId: w.igId });
    session = (await browserFacebookLogin(w, {})).sessionToken ?? '';
    expect(await accountRow()).toMatchObject({ status: 'active' });
  });

  it('fails the messages still waiting when the account is unlinked, with the reason, and unsubscribes the Page', async () => {
    const c = await w.customerWrites('Last question');
    const waiting = await post(`/api/v1/ui/conversations/${c.conversationId}/messages`, { text: 'never sent' });
    expect(waiting.statusCode).toBe(202);
    const unlink = await w.t.app.inject({ method: 'DELETE', url: `/api/v1/accounts/${w.accountId}/unlink`, headers: bearer(session) });
    expect(unlink.json()).toEqual({ unlinked: true, account_disconnected: true });
    await w.drainSends();
    const [row] = await db().select().from(messages).where(eq(messages.id, waiting.json<{ id: string }>().id));
    expect(row).toMatchObject({ status: 'failed', errorMessage: 'Not sent: the Instagram account was disconnected (the last member unlinked the account).' });
    expect(await w.control.outbox({ recipientId: c.igsid })).toEqual([]);
    expect((await w.control.facebook.pageSubscriptions()).filter((s) => s.pageId === w.pageId)).toEqual([]);
  });
});
