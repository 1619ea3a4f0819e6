import { and, asc, eq, sql } from 'drizzle-orm';
import type { Message } from '@threadline/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, login } from '../../../test/app.ts';
import { createUser } from '../../../test/factories.ts';
import { createSimWorld, type SimWorld } from '../../../test/sim-world.ts';
import { queryRows } from '../../db/client.ts';
import { accounts, crmDeliveries } from '../../db/schema/index.ts';
import type { JobType } from '../../jobs/job.ts';
import { jobs } from '../../jobs/registry.ts';

// Every variant of real traffic (platform reference §3.7), sent by the simulator to the real webhook endpoint, ends
// as what it is in the inbox (the API the web app reads) and in the CRM's payloads; no event ends failed.

describe('real traffic, end to end through the simulator', () => {
  let w: SimWorld;
  let n = 0;

  beforeAll(async () => {
    w = await createSimWorld({ MESSAGE_LOOKUP_RETRIES: '1', MESSAGE_LOOKUP_RETRY_DELAY_SECONDS: '0' });
    await w.t.database.db.update(accounts).set({ crmWebhookUrl: 'https://crm.example.test/hook' }).where(eq(accounts.id, w.accountId));
  });
  afterAll(async () => w.close());

  const process = () => w.t.services.webhookProcessor.runUntilIdle();
  /** Runs the waiting lookups in a new simulated second (the Conversations API allows 2 calls a second: §6). */
  const lookups = async (job: JobType<object> = jobs.messagesLookup) => {
    await w.control.advanceClock({ advanceSeconds: 1 });
    return w.t.queue.runPending(job);
  };
  const customer = async () => (await w.control.createCustomer({ username: `variant_${(n += 1)}` })).igsid;
  const inbox = async (igsid: string): Promise<Message[]> => {
    const conv = await w.t.services.inboxRepo.findConversationByIgsid(w.accountId, igsid);
    if (!conv) return [];
    const res = await w.t.app.inject({ method: 'GET', url: `/api/v1/ui/conversations/${conv.conversation.id}/messages`, headers: bearer(w.tokens.viewer) });
    expect(res.statusCode).toBe(200);
    return res.json<{ messages: Message[] }>().messages.reverse();
  };
  const crm = async (type: string, messageId: string) => {
    const rows = await w.t.database.db
      .select({ payload: crmDeliveries.payload })
      .from(crmDeliveries)
      .where(and(eq(crmDeliveries.accountId, w.accountId), eq(crmDeliveries.eventType, type), sql`${crmDeliveries.payload} -> 'data' -> 'message' ->> 'id' = ${messageId}`))
      .orderBy(asc(crmDeliveries.createdAt));
    return rows.map((r) => r.payload);
  };
  const noneFailed = async () => {
    expect(await queryRows(w.t.database.db, sql`select id, status, last_error from webhook_events where status not in ('processed')`)).toEqual([]);
  };

  it('applies a reaction to a message from before the account was connected when reconciliation finds it', async () => {
    const c = await customer();
    const old = await w.control.sendMessage(c, { to: w.igId, text: 'sent before you connected', deliver: false });
    await w.control.react(c, { to: w.igId, mid: old.mid, reaction: 'love', emoji: '❤️' });
    await process();
    await noneFailed();
    expect(await inbox(c)).toEqual([]);
    expect(await w.t.services.waitingEvents.waitingFor(w.accountId, old.mid)).toHaveLength(1);

    expect(await w.t.services.reconciler.reconcileAccount({ id: w.accountId, igUserId: w.igId }, 10)).toBeGreaterThan(0);
    const [message] = await inbox(c);
    expect(message).toMatchObject({ mid: old.mid, text: 'sent before you connected', reactions: [{ reactor: 'contact', reaction: 'love', emoji: '❤️' }] });
    expect(await crm('reaction.added', message?.id ?? '')).toMatchObject([{ data: { reaction: { reactor: 'contact', emoji: '❤️' }, message: { mid: old.mid } } }]);
  });

  it('keeps an unreaction, an unsend and an edit of messages it never received, and applies them when reconciliation finds the messages', async () => {
    const c = await customer();
    const liked = await w.control.sendMessage(c, { to: w.igId, text: 'liked, then not', deliver: false });
    const typo = await w.control.sendMessage(c, { to: w.igId, text: 'a typo', deliver: false });
    const gone = await w.control.sendMessage(c, { to: w.igId, text: 'regretted', deliver: false });
    await w.control.advanceClock({ advanceSeconds: 1 });
    await w.control.react(c, { to: w.igId, mid: liked.mid, reaction: 'love', emoji: '❤️' });
    await w.control.advanceClock({ advanceSeconds: 1 });
    await w.control.unreact(c, w.igId, liked.mid);
    await w.control.edit(c, { to: w.igId, mid: typo.mid, text: 'no typo' });
    await w.control.unsend(c, w.igId, gone.mid);
    await process();
    await noneFailed();
    expect((await w.t.services.waitingEvents.waitingFor(w.accountId, liked.mid)).map((r) => r.data)).toMatchObject([{ action: 'react' }, { action: 'unreact' }]);
    expect(await w.t.services.waitingEvents.waitingFor(w.accountId, typo.mid)).toMatchObject([{ kind: 'edit' }]);
    expect(await inbox(c)).toMatchObject([{ mid: gone.mid, deleted: true, text: null }]);

    expect(await w.t.services.reconciler.reconcileAccount({ id: w.accountId, igUserId: w.igId }, 10)).toBeGreaterThan(0);
    const messages = await inbox(c);
    expect(messages.filter((m) => m.mid === gone.mid)).toMatchObject([{ deleted: true, text: null }]);
    const likedRow = messages.find((m) => m.mid === liked.mid);
    expect(likedRow).toMatchObject({ text: 'liked, then not', reactions: [] });
    expect(messages.find((m) => m.mid === typo.mid)).toMatchObject({ text: 'no typo', edited: true });
    expect(await w.t.services.waitingEvents.waitingFor(w.accountId, liked.mid)).toEqual([]);
    expect(await w.t.services.waitingEvents.waitingFor(w.accountId, typo.mid)).toEqual([]);
    expect(await crm('reaction.removed', likedRow?.id ?? '')).toMatchObject([{ data: { message: { mid: liked.mid } } }]);
    expect(await crm('message.received', messages.find((m) => m.mid === gone.mid)?.id ?? '')).toEqual([]);
    await noneFailed();
  });

  it('reads the text of an edit that came without it from Meta, and stores an unknown message from the answer', async () => {
    const c = await customer();
    const known = await w.control.sendText(c, w.igId, 'first version');
    await process();
    await w.control.emitVariant(c, { to: w.igId, variant: 'edit_without_text', mid: known.mid, text: 'second version' });
    await process();
    await noneFailed();
    expect((await inbox(c))[0]).toMatchObject({ text: 'first version', edited: true, edit_text_state: 'pending' });
    expect(await lookups()).toBe(1);
    const [edited] = await inbox(c);
    expect(edited).toMatchObject({ text: 'second version', edited: true, edit_text_state: null });
    expect((await crm('message.updated', edited?.id ?? '')).at(-1)).toMatchObject({ data: { message: { text: 'second version', edit_text_state: null } } });
    await w.control.emitVariant(c, { to: w.igId, variant: 'edit_num_edit_string', mid: known.mid, text: 'third version' });
    await process();
    await noneFailed();
    expect((await inbox(c))[0]).toMatchObject({ mid: known.mid, text: 'third version', edited: true, edit_text_state: null });
    expect((await crm('message.updated', edited?.id ?? '')).at(-1)).toMatchObject({ data: { message: { text: 'third version' } } });

    const old = await w.control.sendMessage(c, { to: w.igId, text: 'older, never delivered', deliver: false });
    await w.control.emitVariant(c, { to: w.igId, variant: 'edit_without_text', mid: old.mid, text: 'older, edited' });
    await process();
    expect(await lookups()).toBe(1);
    expect((await inbox(c)).find((m) => m.mid === old.mid)).toMatchObject({ text: 'older, edited', edited: true, edit_text_state: null, direction: 'inbound' });
  });

  it('keeps an edit as "edited (text unavailable)" after the lookup\'s last try', async () => {
    const c = await customer();
    const sent = await w.control.sendText(c, w.igId, 'will be edited');
    await process();
    await w.control.injectFault({ type: 'error', error: 'unknown', match: { pathIncludes: sent.mid }, times: 0 });
    try {
      await w.control.emitVariant(c, { to: w.igId, variant: 'edit_without_text', mid: sent.mid, text: 'unreadable' });
      await process();
      expect(await lookups()).toBe(1); // fails: retried
      expect((await inbox(c))[0]).toMatchObject({ edit_text_state: 'pending' });
      expect(await lookups()).toBe(1); // the last try fails: dead-lettered
      expect(await lookups(jobs.messagesLookupGaveUp)).toBe(1);
    } finally {
      await w.control.clearFaults();
    }
    const [message] = await inbox(c);
    expect(message).toMatchObject({ text: 'will be edited', edited: true, edit_text_state: 'unavailable' });
    expect((await crm('message.updated', message?.id ?? '')).at(-1)).toMatchObject({ data: { message: { edit_text_state: 'unavailable' } } });
  });

  it('shows every message-creating variant as what it is', async () => {
    const c = await customer();
    for (const variant of ['like_heart', 'ig_story', 'ig_post', 'share_and_ig_post', 'ig_reel', 'unsupported_attachment', 'unsupported_flag'] as const) {
      await w.control.emitVariant(c, { to: w.igId, variant });
      await w.control.advanceClock({ advanceSeconds: 1 });
    }
    await w.control.emitVariant(c, { to: w.igId, variant: 'timestamp_seconds', text: 'seconds' });
    await w.control.emitVariant(c, { to: w.igId, variant: 'numeric_ids', text: 'numbers' });
    await w.control.emitVariant(c, { to: w.igId, variant: 'standby', text: 'standby' });
    await process();
    await noneFailed();
    const messages = await inbox(c);
    const shown = messages.map((m) => ({ kind: m.kind, types: m.attachments.map((a) => a.type), unsupported: m.unsupported, text: m.text }));
    expect(shown.slice(0, 7)).toEqual([
      { kind: 'like_heart', types: ['like_heart'], unsupported: false, text: null },
      { kind: 'ig_story', types: ['ig_story'], unsupported: false, text: null },
      { kind: 'ig_post', types: ['ig_post'], unsupported: false, text: null },
      { kind: 'ig_post', types: ['ig_post'], unsupported: false, text: null },
      { kind: 'ig_reel', types: ['ig_reel'], unsupported: false, text: null },
      { kind: 'unsupported', types: [], unsupported: true, text: null },
      { kind: 'unsupported', types: [], unsupported: true, text: null },
    ]);
    expect(messages[2]?.attachments[0]).toMatchObject({ title: 'Spring collection', original_url: expect.stringContaining('asset_id=post') });
    expect(messages[1]?.attachments[0]).toMatchObject({ original_url: expect.stringContaining('asset_id=story'), media_status: 'pending' });
    expect(messages.slice(7).map((m) => m.text).sort()).toEqual(['numbers', 'seconds', 'standby']);
    const seconds = messages.find((m) => m.text === 'seconds');
    expect(Math.abs(Date.parse(seconds?.sent_at ?? '') - (await w.control.clock()).now)).toBeLessThan(5_000);
    for (const [i, kind] of ['like_heart', 'ig_story', 'ig_post', 'ig_post', 'ig_reel', 'unsupported', 'unsupported'].entries()) {
      expect((await crm('message.received', messages[i]?.id ?? ''))[0], kind).toMatchObject({ data: { message: { kind, unsupported: kind === 'unsupported' } } });
    }
    expect((await crm('message.received', messages[0]?.id ?? ''))[0]).toMatchObject({ data: { message: { attachments: [{ type: 'like_heart', url: null }] } } });
    expect((await crm('message.received', messages[3]?.id ?? ''))[0]).toMatchObject({ data: { message: { attachments: [{ type: 'ig_post' }] } } });
  });

  it('reads unsends with is_deleted "true", emoji-only reactions and seen receipts without sender, redelivered', async () => {
    const c = await customer();
    const first = await w.control.sendText(c, w.igId, 'take this back');
    await process();
    const reply = await w.t.app.inject({ method: 'POST', url: `/api/v1/ui/conversations/${(await w.t.services.inboxRepo.findConversationByIgsid(w.accountId, c))?.conversation.id}/messages`, headers: bearer(w.tokens.admin), payload: { text: 'our answer' } });
    expect(reply.statusCode).toBe(202);
    await w.drainSends();
    const ours = (await inbox(c)).find((m) => m.text === 'our answer');
    // on a loaded machine this has read `unknown` (CI): say why the send ended as it did
    expect(ours, `the reply's send: ${JSON.stringify(ours?.error)}`).toMatchObject({ status: 'sent', mid: expect.any(String) });
    await w.control.emitVariant(c, { to: w.igId, variant: 'reaction_emoji_only', mid: ours?.mid ?? '', emoji: '😂' });
    await w.control.emitVariant(c, { to: w.igId, variant: 'seen_without_sender', mid: ours?.mid ?? '' });
    await w.control.emitVariant(c, { to: w.igId, variant: 'seen_redelivered', mid: ours?.mid ?? '' });
    await w.control.emitVariant(c, { to: w.igId, variant: 'unsend_string_flag', mid: first.mid });
    await process();
    await noneFailed();
    const messages = await inbox(c);
    expect(messages.find((m) => m.mid === first.mid)).toMatchObject({ deleted: true, text: null });
    expect(messages.find((m) => m.mid === ours?.mid)).toMatchObject({ status: 'read', reactions: [{ reactor: 'contact', reaction: null, emoji: '😂' }] });
    expect(await crm('reaction.added', ours?.id ?? '')).toHaveLength(1);
  });

  it('shows a reply to a message it never received as replying to an earlier message', async () => {
    const c = await customer();
    const old = await w.control.sendMessage(c, { to: w.igId, text: 'the original', deliver: false });
    await w.control.sendMessage(c, { to: w.igId, text: 'about that', replyTo: { mid: old.mid } });
    await process();
    const [reply] = await inbox(c);
    expect(reply?.reply_to).toEqual({ mid: old.mid, message_id: null, text: null, story: null });
    expect((await crm('message.received', reply?.id ?? ''))[0]).toMatchObject({ data: { message: { reply_to_mid: old.mid } } });
  });

  it('tells administrators per item what was applied, what waits for a message and what was ignored, and why', async () => {
    const c = await customer();
    await w.control.react(c, { to: w.igId, mid: 'aWdfZAG1-from-long-ago', emoji: '👍' });
    await w.control.comment(c, { to: w.igId, text: 'how much?' });
    await process();
    const list = await w.t.app.inject({ method: 'GET', url: '/api/v1/admin/webhook-events?status=processed&limit=200', headers: bearer(w.tokens.owner) });
    expect(list.statusCode).toBe(403);
    await createUser(w.t.database.db, { username: 'root', password: 'root-password-long', isAdmin: true });
    const adminToken = (await login(w.t, 'root', 'root-password-long')).token;
    const events = (await w.t.app.inject({ method: 'GET', url: '/api/v1/admin/webhook-events?status=processed&limit=200', headers: bearer(adminToken) })).json<{ events: { id: number; items: unknown }[] }>().events;
    const reaction = events.find((e) => JSON.stringify(e.items) === JSON.stringify({ applied: 0, waiting: 1, ignored: 0, unrouted: 0 }));
    expect(reaction).toBeDefined();
    const detail = await w.t.app.inject({ method: 'GET', url: `/api/v1/admin/webhook-events/${reaction?.id}`, headers: bearer(adminToken) });
    expect(detail.json()).toMatchObject({ items: [{ path: 'entry[0].messaging[0]', type: 'reaction', mid: 'aWdfZAG1-from-long-ago', outcome: 'waiting', reason: expect.stringContaining('has not received') }] });
    const unhandled = (await w.t.app.inject({ method: 'GET', url: '/api/v1/admin/webhook-events?status=unhandled', headers: bearer(adminToken) })).json<{ events: { id: number }[] }>().events;
    const comment = await w.t.app.inject({ method: 'GET', url: `/api/v1/admin/webhook-events/${unhandled[0]?.id}`, headers: bearer(adminToken) });
    expect(comment.json()).toMatchObject({ items: [{ type: 'comments', outcome: 'ignored', code: 'not_supported', reason: 'comments and mentions are not handled' }] });

    // a reaction that waited, once reconciliation has found its message: applied when the message arrived
    const old = await w.control.sendMessage(c, { to: w.igId, text: 'from before the link', deliver: false });
    await w.control.react(c, { to: w.igId, mid: old.mid, emoji: '🔥' });
    await process();
    // found by what it holds, not by being the newest: other events of this world may be processed after it
    const processed = async () => (await w.t.app.inject({ method: 'GET', url: '/api/v1/admin/webhook-events?status=processed&limit=200', headers: bearer(adminToken) })).json<{ events: { id: number; items: unknown }[] }>().events;
    const waitingFor = async (mid: string) => {
      for (const e of await processed()) {
        const d = (await w.t.app.inject({ method: 'GET', url: `/api/v1/admin/webhook-events/${e.id}`, headers: bearer(adminToken) })).json<{ items: { mid?: string }[] }>();
        if (d.items.some((i) => i.mid === mid)) return e;
      }
      return undefined;
    };
    const latest = await waitingFor(old.mid);
    expect(latest?.items).toEqual({ applied: 0, waiting: 1, ignored: 0, unrouted: 0 });
    await w.t.services.reconciler.reconcileAccount({ id: w.accountId, igUserId: w.igId }, 10);
    const settled = (await processed()).find((e) => e.id === latest?.id);
    expect(settled).toMatchObject({ items: { applied: 1, waiting: 0, ignored: 0, unrouted: 0 } });
    const later = await w.t.app.inject({ method: 'GET', url: `/api/v1/admin/webhook-events/${latest?.id}`, headers: bearer(adminToken) });
    expect(later.json()).toMatchObject({ items: [{ type: 'reaction', mid: old.mid, outcome: 'applied_later', reason: `applied when message ${old.mid} arrived` }] });
  });
});
