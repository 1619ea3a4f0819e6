import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crmEventSchema } from '@threadline/contract';
import { bearer } from '../../../../test/app.ts';
import { createSimWorld, type SimWorld } from '../../../../test/sim-world.ts';
import { accounts, auditLog, conversations, crmDeliveries, userAccounts, users } from '../../../db/schema/index.ts';
import { jobs } from '../../../jobs/registry.ts';

describe('a team works the inbox: status, assignment, notes', () => {
  let w: SimWorld;
  const ids = { owner: '', admin: '', viewer: '', stranger: '' };
  beforeAll(async () => {
    w = await createSimWorld();
    for (const name of ['owner', 'teammate', 'viewer', 'stranger'] as const) {
      const [u] = await w.t.database.db.select({ id: users.id }).from(users).where(eq(users.username, name));
      ids[name === 'teammate' ? 'admin' : name] = u?.id ?? '';
    }
    // A CRM receives this account's events (the deliveries are read from the outbox below).
    await w.t.database.db.update(accounts).set({ crmWebhookUrl: 'https://crm.invalid/hook' }).where(eq(accounts.id, w.accountId));
  });
  afterAll(async () => w.close());

  const inject = (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, headers: Record<string, string>, payload?: unknown) =>
    w.t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
  const as = (token: string) => bearer(token);
  const list = async (query: string, token = w.tokens.viewer) =>
    (await inject('GET', `/api/v1/ui/conversations?${query}`, as(token))).json().conversations.map((c: { id: string }) => c.id) as string[];
  const setStatus = (id: string, body: unknown, token = w.tokens.admin) => inject('PATCH', `/api/v1/ui/conversations/${id}`, as(token), body);
  const assign = (id: string, userId: string | null, token = w.tokens.admin) => inject('PUT', `/api/v1/ui/conversations/${id}/assignee`, as(token), { user_id: userId });
  const crmEvents = async (conversationId: string, type: string) =>
    (await w.t.database.db.select().from(crmDeliveries).where(and(eq(crmDeliveries.conversationId, conversationId), eq(crmDeliveries.eventType, type))).orderBy(asc(crmDeliveries.sequence), asc(crmDeliveries.createdAt))).map((d) => crmEventSchema.parse(d.payload));

  it('lists open conversations by default; done ones leave the list and a new message from the customer opens them again', async () => {
    const c = await w.customerWrites('Where is my order?');
    expect(await list('')).toContain(c.conversationId);
    const done = await setStatus(c.conversationId, { status: 'done' });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ status: 'done', snoozed_until: null });
    expect(await list('')).not.toContain(c.conversationId);
    expect(await list('status=done')).toContain(c.conversationId);
    expect(await list('status=all')).toContain(c.conversationId);

    await w.control.sendText(c.igsid, w.igId, 'Hello again?');
    await w.t.services.webhookProcessor.runUntilIdle();
    expect(await list('')).toContain(c.conversationId);
    const events = await crmEvents(c.conversationId, 'conversation.status_changed');
    expect(events.map((e) => e.data)).toEqual([
      expect.objectContaining({ status: 'done', previous_status: 'open', changed_by: { type: 'user', id: ids.admin, name: 'teammate' } }),
      expect.objectContaining({ status: 'open', previous_status: 'done', changed_by: { type: 'contact', id: null, name: null } }),
    ]);
    const audit = await w.t.database.db.select().from(auditLog).where(and(eq(auditLog.action, 'conversations.status_changed'), eq(auditLog.target, c.conversationId)));
    expect(audit).toHaveLength(1);
  });

  it('reopens a snoozed conversation when the customer answers with a button (a postback, stored one by one)', async () => {
    const c = await w.customerWrites('Which size?');
    await setStatus(c.conversationId, { status: 'snoozed', snoozed_until: new Date(Date.now() + 3_600_000).toISOString() });
    await w.control.postback(c.igsid, { to: w.igId, title: 'Size M', payload: 'SIZE_M' });
    await w.t.services.webhookProcessor.runUntilIdle();
    const conv = (await inject('GET', `/api/v1/ui/conversations/${c.conversationId}`, as(w.tokens.viewer))).json();
    expect(conv).toMatchObject({ status: 'open', snoozed_until: null });
    const [reopened] = (await crmEvents(c.conversationId, 'conversation.status_changed')).slice(-1);
    expect(reopened?.data).toMatchObject({ status: 'open', previous_status: 'snoozed', changed_by: { type: 'contact' } });
  });

  it('keeps "needs reply" working within a status', async () => {
    const a = await w.customerWrites('A question');
    const b = await w.customerWrites('Another question');
    await setStatus(b.conversationId, { status: 'done' });
    const open = await list('filter=needs_reply');
    expect(open).toContain(a.conversationId);
    expect(open).not.toContain(b.conversationId);
    expect(await list('filter=needs_reply&status=done')).toContain(b.conversationId);
  });

  it('refuses a snooze into the past, and a snoozed conversation opens by itself at its time', async () => {
    const c = await w.customerWrites('Call me next week');
    const past = await setStatus(c.conversationId, { status: 'snoozed', snoozed_until: new Date(Date.now() - 60_000).toISOString() });
    expect(past.statusCode).toBe(422);
    expect(past.json().error.code).toBe('conversations.snooze_in_past');
    const missing = await setStatus(c.conversationId, { status: 'snoozed' });
    expect(missing.statusCode).toBe(400);

    const until = new Date(Date.now() + 1500);
    const snoozed = await setStatus(c.conversationId, { status: 'snoozed', snoozed_until: until.toISOString() });
    expect(snoozed.json()).toMatchObject({ status: 'snoozed', snoozed_until: until.toISOString() });
    expect(await list('status=snoozed')).toContain(c.conversationId);
    await new Promise((r) => setTimeout(r, 1700));
    await w.t.queue.runPending(jobs.conversationsWakeSnoozed);
    const [row] = await w.t.database.db.select({ status: conversations.status }).from(conversations).where(eq(conversations.id, c.conversationId));
    expect(row?.status).toBe('open');
  });

  it('lets only members who may send change status or assign; a stranger does not see the conversation', async () => {
    const c = await w.customerWrites();
    const viewer = await setStatus(c.conversationId, { status: 'done' }, w.tokens.viewer);
    expect(viewer.statusCode).toBe(403);
    expect((await assign(c.conversationId, ids.admin, w.tokens.viewer)).statusCode).toBe(403);
    expect((await setStatus(c.conversationId, { status: 'done' }, w.tokens.stranger)).statusCode).toBe(404);
    expect((await assign(c.conversationId, ids.admin, w.tokens.stranger)).statusCode).toBe(404);
  });

  it('assigns to members who may send, refuses a viewer or a non-member, and filters mine / unassigned / a teammate', async () => {
    const c = await w.customerWrites('Assign me');
    const toViewer = await assign(c.conversationId, ids.viewer);
    expect(toViewer.statusCode).toBe(422);
    expect(toViewer.json().error.code).toBe('conversations.assignee_cannot_send');
    const toStranger = await assign(c.conversationId, ids.stranger);
    expect(toStranger.json().error.code).toBe('conversations.assignee_not_member');

    expect(await list('assignee=unassigned')).toContain(c.conversationId);
    const ok = await assign(c.conversationId, ids.owner);
    expect(ok.json()).toMatchObject({ assignee: { id: ids.owner, username: 'owner' } });
    expect(await list('assignee=me', w.tokens.owner)).toContain(c.conversationId);
    expect(await list('assignee=me', w.tokens.admin)).not.toContain(c.conversationId);
    expect(await list(`assignee=${ids.owner}`)).toContain(c.conversationId);
    expect(await list('assignee=unassigned')).not.toContain(c.conversationId);

    const back = await assign(c.conversationId, null);
    expect(back.json().assignee).toBeNull();
    const events = await crmEvents(c.conversationId, 'conversation.assigned');
    expect(events.map((e) => e.data)).toEqual([
      expect.objectContaining({ assignee: { id: ids.owner, username: 'owner' }, previous_assignee: null }),
      expect.objectContaining({ assignee: null, previous_assignee: { id: ids.owner, username: 'owner' } }),
    ]);
    const audit = await w.t.database.db.select().from(auditLog).where(and(eq(auditLog.action, 'conversations.assigned'), eq(auditLog.target, c.conversationId))).orderBy(asc(auditLog.id));
    expect(audit.map((a) => [a.actorUserId, a.details])).toEqual([
      [ids.admin, { assignee: ids.owner, previous_assignee: null }],
      [ids.admin, { assignee: null, previous_assignee: ids.owner }],
    ]);
  });

  it('assigns an unassigned conversation to whoever replies', async () => {
    const c = await w.customerWrites('Anyone there?');
    const sent = await inject('POST', `/api/v1/ui/conversations/${c.conversationId}/messages`, as(w.tokens.admin), { text: 'Yes, me.' });
    expect(sent.statusCode).toBe(202);
    const conv = (await inject('GET', `/api/v1/ui/conversations/${c.conversationId}`, as(w.tokens.viewer))).json();
    expect(conv.assignee).toEqual({ id: ids.admin, username: 'teammate' });
    // a second person's reply does not take it over
    await inject('POST', `/api/v1/ui/conversations/${c.conversationId}/messages`, as(w.tokens.owner), { text: 'And me.' });
    const after = (await inject('GET', `/api/v1/ui/conversations/${c.conversationId}`, as(w.tokens.viewer))).json();
    expect(after.assignee.id).toBe(ids.admin);
    await w.drainSends();
  });

  it('auto-assigns round robin among members who receive conversations, up to the cap per person', async () => {
    const settings = await inject('PUT', `/api/v1/accounts/${w.accountId}/assignment`, as(w.tokens.owner), { auto_assign: true, max_open_per_member: 1 });
    expect(settings.statusCode).toBe(200);
    expect((await inject('PUT', `/api/v1/accounts/${w.accountId}/assignment`, as(w.tokens.viewer), { auto_assign: false })).statusCode).toBe(403);
    const viewerOptIn = await inject('PUT', `/api/v1/accounts/${w.accountId}/assignment/me`, as(w.tokens.viewer), { receives_conversations: true });
    expect(viewerOptIn.json().error.code).toBe('accounts.receives_conversations_needs_sender');
    // only the cap-free ones count: close everything assigned so far
    await w.t.database.db.update(conversations).set({ assigneeUserId: null }).where(eq(conversations.accountId, w.accountId));
    await inject('PUT', `/api/v1/accounts/${w.accountId}/assignment/me`, as(w.tokens.owner), { receives_conversations: true });
    await inject('PUT', `/api/v1/accounts/${w.accountId}/assignment/me`, as(w.tokens.admin), { receives_conversations: true });

    const a = await w.customerWrites('first');
    const b = await w.customerWrites('second');
    const c = await w.customerWrites('third');
    const assignee = async (id: string) =>
      (await w.t.database.db.select({ a: conversations.assigneeUserId }).from(conversations).where(eq(conversations.id, id)))[0]?.a ?? null;
    const first = await assignee(a.conversationId);
    const second = await assignee(b.conversationId);
    expect(new Set([first, second])).toEqual(new Set([ids.owner, ids.admin]));
    expect(await assignee(c.conversationId)).toBeNull(); // both are at their cap of one open conversation

    const view = (await inject('GET', `/api/v1/accounts/${w.accountId}/assignment`, as(w.tokens.viewer))).json();
    expect(view).toMatchObject({ auto_assign: true, max_open_per_member: 1 });
    expect(view.members.find((m: { username: string }) => m.username === 'owner')).toMatchObject({ receives_conversations: true, open_assigned: 1 });
    await inject('PUT', `/api/v1/accounts/${w.accountId}/assignment`, as(w.tokens.owner), { auto_assign: false });
    await w.t.database.db.update(userAccounts).set({ receivesConversations: false }).where(eq(userAccounts.accountId, w.accountId));
  });

  it('keeps internal notes: every member writes them, only the author edits or deletes, @mentions notify, nothing goes to Instagram', async () => {
    const c = await w.customerWrites('Note-worthy');
    const url = `/api/v1/ui/conversations/${c.conversationId}/notes`;
    const created = await inject('POST', url, as(w.tokens.viewer), { text: 'VIP customer, @Owner please call back. @nobody' });
    expect(created.statusCode).toBe(201);
    const note = created.json();
    expect(note).toMatchObject({ author: { type: 'user', name: 'viewer' }, mentions: [{ id: ids.owner, username: 'owner' }], edited: false });

    const tooLong = await inject('POST', url, as(w.tokens.admin), { text: 'x'.repeat(10_000) });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json().error.message).toMatch(/at most 5000/);
    expect((await inject('POST', url, as(w.tokens.stranger), { text: 'hi' })).statusCode).toBe(404);

    const notOwn = await inject('PATCH', `${url}/${note.id}`, as(w.tokens.admin), { text: 'changed' });
    expect(notOwn.statusCode).toBe(403);
    expect(notOwn.json().error.code).toBe('notes.not_author');
    const edited = await inject('PATCH', `${url}/${note.id}`, as(w.tokens.viewer), { text: 'VIP customer, @owner and @teammate please call back.' });
    expect(edited.json()).toMatchObject({ edited: true });

    const mine = (await inject('GET', '/api/v1/ui/notifications', as(w.tokens.owner))).json();
    expect(mine.unread).toBe(1); // the edit does not notify the owner twice
    expect(mine.notifications[0]).toMatchObject({ kind: 'mention', conversation_id: c.conversationId, note_id: note.id, by: { username: 'viewer' } });
    expect((await inject('GET', '/api/v1/ui/notifications', as(w.tokens.admin))).json().unread).toBe(1);
    await inject('POST', '/api/v1/ui/notifications/read', as(w.tokens.owner), {});
    expect((await inject('GET', '/api/v1/ui/notifications', as(w.tokens.owner))).json().unread).toBe(0);

    expect((await inject('GET', url, as(w.tokens.admin))).json().notes.map((n: { text: string }) => n.text)).toEqual([
      'VIP customer, @owner and @teammate please call back.',
    ]);
    expect((await inject('DELETE', `${url}/${note.id}`, as(w.tokens.admin))).statusCode).toBe(403);
    expect((await inject('DELETE', `${url}/${note.id}`, as(w.tokens.viewer))).statusCode).toBe(200);
    expect((await inject('GET', url, as(w.tokens.admin))).json().notes).toEqual([]);
    expect(await w.control.outbox({ recipientId: c.igsid })).toEqual([]);
    const events = await crmEvents(c.conversationId, 'note.created');
    expect(events[0]?.data).toMatchObject({ note: { id: note.id, author: { type: 'user', name: 'viewer' } } });
    const audit = await w.t.database.db.select().from(auditLog).where(eq(auditLog.target, note.id)).orderBy(asc(auditLog.id));
    expect(audit.map((a) => [a.action, a.actorUserId])).toEqual([
      ['notes.created', ids.viewer],
      ['notes.updated', ids.viewer],
      ['notes.deleted', ids.viewer],
    ]);
    // the audit log keeps who and where, never the note's text
    expect(JSON.stringify(audit)).not.toContain('call back');
  });

  it('lets a CRM change status and assignee and add notes with the conversations:write scope', async () => {
    const c = await w.customerWrites('From the CRM side');
    const key = async (scopes: string[]) =>
      (await inject('POST', `/api/v1/accounts/${w.accountId}/api-keys`, as(w.tokens.owner), { name: `crm ${scopes.join()}`, scopes })).json().key as string;
    const writeKey = await key(['conversations:write']);
    const readKey = await key(['conversations:read']);
    const api = (k: string) => ({ 'x-api-key': k });

    expect((await inject('PATCH', `/api/v1/conversations/${c.conversationId}`, api(readKey), { status: 'done' })).statusCode).toBe(403);
    const done = await inject('PATCH', `/api/v1/conversations/${c.conversationId}`, api(writeKey), { status: 'done' });
    expect(done.json()).toMatchObject({ status: 'done' });
    const assigned = await inject('PUT', `/api/v1/conversations/${c.conversationId}/assignee`, api(writeKey), { user_id: ids.admin });
    expect(assigned.json().assignee).toEqual({ id: ids.admin, username: 'teammate' });
    const note = await inject('POST', `/api/v1/conversations/${c.conversationId}/notes`, api(writeKey), { text: 'Order #42 shipped' });
    expect(note.statusCode).toBe(201);
    expect(note.json().author).toMatchObject({ type: 'api_key', name: 'crm conversations:write' });
    expect((await inject('GET', `/api/v1/conversations/${c.conversationId}/notes`, api(readKey))).json().notes).toHaveLength(1);
    expect((await inject('GET', '/api/v1/conversations?assignee=me', api(readKey))).json().error.code).toBe('conversations.assignee_me_needs_session');
    // another account's conversation is not this key's
    expect((await inject('PATCH', `/api/v1/conversations/00000000-0000-4000-8000-000000000000`, api(writeKey), { status: 'done' })).statusCode).toBe(404);
    const [status] = await crmEvents(c.conversationId, 'conversation.status_changed');
    expect(status?.data).toMatchObject({ changed_by: { type: 'api_key' } });
  });

  it('announces status, assignee, notes and presence on the live stream', async () => {
    const c = await w.customerWrites('Live');
    const after = await w.t.services.realtimeLog.latestId();
    await setStatus(c.conversationId, { status: 'done' });
    await assign(c.conversationId, ids.admin);
    await inject('POST', `/api/v1/ui/conversations/${c.conversationId}/notes`, as(w.tokens.viewer), { text: 'hello @teammate' });
    expect((await inject('POST', `/api/v1/ui/conversations/${c.conversationId}/presence`, as(w.tokens.admin), { state: 'typing' })).statusCode).toBe(200);
    expect((await inject('POST', `/api/v1/ui/conversations/${c.conversationId}/presence`, as(w.tokens.stranger), { state: 'typing' })).statusCode).toBe(404);
    const rows = await w.t.services.realtimeLog.since(w.accountId, after);
    expect(rows.map((r) => r.type)).toEqual(['conversation.status_changed', 'conversation.assigned', 'note.created', 'note.mentioned', 'presence.updated']);
    expect(rows.at(-1)?.payload).toMatchObject({ live: { user_id: ids.admin, username: 'teammate', state: 'typing' } });
    // a note's text never goes into the live log
    expect(JSON.stringify(rows)).not.toContain('hello');
  });
});
