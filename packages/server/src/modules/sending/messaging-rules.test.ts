import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, login } from '../../../test/app.ts';
import { createSimWorld, type SimWorld } from '../../../test/sim-world.ts';
import { messages } from '../../db/schema/index.ts';
import { jobs } from '../../jobs/registry.ts';

const HOUR = 3_600_000;

describe("Meta's 24-hour window and HUMAN_AGENT, enforced before Meta has to", () => {
  let w: SimWorld;
  let offset = 0;
  beforeAll(async () => {
    w = await createSimWorld({ INSTAGRAM_HUMAN_AGENT_ENABLED: 'true' }, { now: () => new Date(Date.now() + offset) });
  });
  afterAll(async () => w.close());

  /** Sessions last 24 hours of Threadline's clock: moving the clock means signing in again. */
  const moveClock = async (ms: number) => {
    offset = ms;
    w.tokens.admin = (await login(w.t, 'teammate', 'teammate-password')).token;
    w.tokens.viewer = (await login(w.t, 'viewer', 'viewer-password')).token;
    w.tokens.owner = (await login(w.t, 'owner', 'owner-password')).token;
  };
  const send = (conversationId: string, payload: object, token = w.tokens.admin) =>
    w.t.app.inject({ method: 'POST', url: `/api/v1/ui/conversations/${conversationId}/messages`, headers: bearer(token), payload });

  it('after 24 hours, lets a person reply with HUMAN_AGENT but refuses an automated API send', async () => {
    const c = await w.customerWrites('hello?');
    await moveClock(25 * HOUR);
    await w.control.advanceClock({ advanceHours: 25 });
    const list = await w.t.app.inject({ method: 'GET', url: `/api/v1/ui/conversations/${c.conversationId}`, headers: bearer(w.tokens.viewer) });
    expect(list.json().window.state).toBe('human_agent');

    const byPerson = await send(c.conversationId, { text: 'Sorry for the wait!' });
    expect(byPerson.statusCode).toBe(202);
    expect(byPerson.json().human_agent).toBe(true);

    const key = await w.t.app
      .inject({ method: 'POST', url: `/api/v1/accounts/${w.accountId}/api-keys`, headers: bearer(w.tokens.owner), payload: { name: 'bot', scopes: ['messages:send'] } })
      .then((r) => r.json().key as string);
    const bot = await w.t.app.inject({ method: 'POST', url: '/api/v1/messages', headers: { 'x-api-key': key }, payload: { conversation_id: c.conversationId, text: 'automated' } });
    expect(bot.statusCode).toBe(422);
    expect(bot.json().error.code).toBe('messaging.window_closed');
    const declared = await w.t.app.inject({ method: 'POST', url: '/api/v1/messages', headers: { 'x-api-key': key }, payload: { conversation_id: c.conversationId, text: 'typed by Ana in the CRM', human_agent: true } });
    expect(declared.statusCode).toBe(202);

    await w.drainSends();
    const bodies = (await w.control.outbox({ recipientId: c.igsid })).map((o) => o.body);
    expect(bodies).toHaveLength(2);
    for (const b of bodies) expect(b).toMatchObject({ messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' });
  });

  it('refuses every send after 7 days, naming when the window closed', async () => {
    const c = await w.customerWrites('still there?');
    await moveClock(offset + 8 * 24 * HOUR);
    const res = await send(c.conversationId, { text: 'too late' });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('messaging.window_closed');
    expect(res.json().error.message).toMatch(/closed at \d{4}-/);
  });

  it('reopens the window on a story mention', async () => {
    const c = await w.customerWrites('hi');
    await moveClock(offset + 30 * 24 * HOUR);
    await w.control.advanceClock({ advanceDays: 30 + 8 });
    await w.control.storyMention(c.igsid, w.igId, 'https://cdn.example.com/story.mp4');
    await w.t.services.webhookProcessor.runUntilIdle();
    const res = await send(c.conversationId, { text: 'thanks for the mention!' });
    expect(res.statusCode).toBe(202);
    expect(res.json().human_agent).toBe(false);
  });
});

describe('nothing missed, nothing sent twice', () => {
  let w: SimWorld;
  beforeAll(async () => {
    w = await createSimWorld();
  });
  afterAll(async () => w.close());

  it('reconciliation stores a message whose webhook never came, and counts the gap', async () => {
    const c = await w.customerWrites('first, delivered');
    await w.control.setWebhookMode({ hold: true });
    const lost = await w.control.sendText(c.igsid, w.igId, 'second, never delivered');
    await w.t.services.webhookProcessor.runUntilIdle();
    expect(await w.t.database.db.select().from(messages).where(eq(messages.mid, lost.mid))).toEqual([]);
    const found = await w.t.services.reconciler.reconcileAll();
    expect(found).toBeGreaterThanOrEqual(1);
    const [row] = await w.t.database.db.select().from(messages).where(eq(messages.mid, lost.mid));
    expect(row).toMatchObject({ text: 'second, never delivered', direction: 'inbound' });
    expect(await w.t.services.metrics.render()).toMatch(/threadline_reconcile_gaps_total\{[^}]*\} [1-9]/);
    await w.control.setWebhookMode({ hold: false });
  });

  it('settles a send whose answer was lost from the Conversations API instead of sending it again', async () => {
    const c = await w.customerWrites('did you get my order?');
    await w.control.setWebhookMode({ hold: true });
    const sent = await w.t.app.inject({ method: 'POST', url: `/api/v1/ui/conversations/${c.conversationId}/messages`, headers: bearer(w.tokens.admin), payload: { text: 'Yes, it ships today.' } });
    await w.t.queue.runPending(jobs.messagesSend);
    // As if the answer had been lost on the way back: no mid, outcome unknown.
    await w.t.database.db.update(messages).set({ status: 'unknown', mid: null, updatedAt: new Date(Date.now() - 600_000) }).where(eq(messages.id, sent.json().id));
    const never = await w.t.app.inject({ method: 'POST', url: `/api/v1/ui/conversations/${c.conversationId}/messages`, headers: bearer(w.tokens.admin), payload: { text: 'this one never left' } });
    await w.t.database.db.update(messages).set({ status: 'unknown', updatedAt: new Date(Date.now() - 600_000) }).where(eq(messages.id, never.json().id));

    await w.t.services.reconciler.settleUnknown(120);
    const [settled] = await w.t.database.db.select().from(messages).where(eq(messages.id, sent.json().id));
    expect(settled?.status).toBe('sent');
    expect(settled?.mid).toBeTruthy();
    const [notDelivered] = await w.t.database.db.select().from(messages).where(eq(messages.id, never.json().id));
    expect(notDelivered?.status).toBe('failed');
    expect((await w.control.outbox({ recipientId: c.igsid })).filter((o) => JSON.stringify(o.body).includes('ships today'))).toHaveLength(1);
    await w.control.setWebhookMode({ hold: false });
  });
});
