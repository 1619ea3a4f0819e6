import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crmEventSchema } from '@threadline/contract';
import { bearer, type TestApp } from '../../../../test/app.ts';
import { createTeamApp } from '../../../../test/team-world.ts';
import { createConversation } from '../../../../test/inbox-factories.ts';
import { accounts, auditLog, crmDeliveries, realtimeEvents, userAccounts } from '../../../db/schema/index.ts';

describe('labels', () => {
  let t: TestApp;
  let owner = '';
  let viewer = '';
  let stranger = '';
  let accountId = '';
  let otherAccountId = '';
  let conversationId = '';
  let otherConversationId = '';

  beforeAll(async () => {
    const team = await createTeamApp();
    t = team.t;
    const db = team.db;
    accountId = team.shop;
    otherAccountId = team.theirs;
    ({ owner, viewer, stranger } = team.tokens);
    // the owner also owns the other account (so its labels may be made, and its conversations opened, by them)
    await db.insert(userAccounts).values({ userId: team.users.owner.id, accountId: otherAccountId, role: 'owner' });
    // the account forwards to a CRM: label changes become deliveries
    await db.update(accounts).set({ crmWebhookUrl: 'https://crm.example.com/hook' }).where(eq(accounts.id, accountId));
    conversationId = (await createConversation(db, accountId, { username: 'ana', at: new Date(Date.now() - 60_000) })).conversation.id;
    await createConversation(db, accountId, { username: 'ben' });
    otherConversationId = (await createConversation(db, otherAccountId, { username: 'cleo' })).conversation.id;
  });
  afterAll(async () => t.close());

  const labelsUrl = (account = accountId) => `/api/v1/accounts/${account}/labels`;
  const create = (token: string, name: string, color = '#1D4ED8', account = accountId) =>
    t.app.inject({ method: 'POST', url: labelsUrl(account), headers: bearer(token), payload: { name, color } });
  const setLabels = (token: string, id: string, labelIds: string[]) =>
    t.app.inject({ method: 'PUT', url: `/api/v1/ui/conversations/${id}/labels`, headers: bearer(token), payload: { label_ids: labelIds } });

  it('an admin makes, renames and lists labels; names are unique per account whatever their case', async () => {
    const res = await create(owner, 'VIP');
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ name: 'VIP', color: '#1d4ed8', account_id: accountId });
    const dup = await create(owner, 'vip');
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error.code).toBe('labels.name_taken');
    const renamed = await t.app.inject({ method: 'PATCH', url: `${labelsUrl()}/${res.json().id}`, headers: bearer(owner), payload: { name: 'Very important' } });
    expect(renamed.json()).toMatchObject({ name: 'Very important', color: '#1d4ed8' });
    const list = await t.app.inject({ method: 'GET', url: labelsUrl(), headers: bearer(viewer) });
    expect(list.json().labels.map((l: { name: string }) => l.name)).toEqual(['Very important']);
  });

  it('refuses a bad colour, an empty name, a viewer and a stranger', async () => {
    expect((await create(owner, 'Bad', 'red')).json().error.code).toBe('request.invalid');
    expect((await create(owner, '   ')).json().error.code).toBe('request.invalid');
    const byViewer = await create(viewer, 'Nope');
    expect(byViewer.statusCode).toBe(403);
    expect(byViewer.json().error.code).toBe('accounts.forbidden_role');
    const byStranger = await t.app.inject({ method: 'GET', url: labelsUrl(), headers: bearer(stranger) });
    expect(byStranger.statusCode).toBe(404);
  });

  it('sets labels on a conversation: live update, CRM conversation.labels_changed, audit; the list filters by label', async () => {
    const lead = (await create(owner, 'Lead', '#16a34a')).json();
    const urgent = (await create(owner, 'Urgent', '#dc2626')).json();
    const res = await setLabels(owner, conversationId, [urgent.id, lead.id, lead.id]);
    expect(res.statusCode).toBe(200);
    expect(res.json().labels.map((l: { name: string }) => l.name)).toEqual(['Lead', 'Urgent']);

    const db = t.database.db;
    const [delivery] = await db.select().from(crmDeliveries).where(and(eq(crmDeliveries.accountId, accountId), eq(crmDeliveries.eventType, 'conversation.labels_changed')));
    const event = crmEventSchema.parse(delivery?.payload);
    expect(event.type).toBe('conversation.labels_changed');
    if (event.type !== 'conversation.labels_changed') return;
    expect(event.data.conversation.id).toBe(conversationId);
    expect(event.data.added.map((l) => l.name).sort()).toEqual(['Lead', 'Urgent']);
    expect(event.data.removed).toEqual([]);
    expect(event.data.actor.type).toBe('user');
    const live = await db.select().from(realtimeEvents).where(and(eq(realtimeEvents.accountId, accountId), eq(realtimeEvents.type, 'conversation.labels_changed')));
    expect(live).toHaveLength(1);
    const audited = await db.select().from(auditLog).where(eq(auditLog.action, 'conversations.labels_changed'));
    expect(audited).toHaveLength(1);

    // the same set again changes nothing and records nothing
    await setLabels(owner, conversationId, [lead.id, urgent.id]);
    expect(await db.select().from(realtimeEvents).where(eq(realtimeEvents.type, 'conversation.labels_changed'))).toHaveLength(1);

    const filtered = await t.app.inject({ method: 'GET', url: `/api/v1/ui/conversations?label_id=${lead.id}`, headers: bearer(owner) });
    expect(filtered.json().conversations.map((c: { id: string }) => c.id)).toEqual([conversationId]);
    const searched = await t.app.inject({ method: 'GET', url: `/api/v1/ui/conversations?label_id=${lead.id}&q=ben`, headers: bearer(owner) });
    expect(searched.json().conversations).toEqual([]);
    const all = await t.app.inject({ method: 'GET', url: '/api/v1/ui/conversations', headers: bearer(owner) });
    expect(all.json().conversations).toHaveLength(2);

    // removing one
    const less = await setLabels(owner, conversationId, [urgent.id]);
    expect(less.json().labels.map((l: { name: string }) => l.name)).toEqual(['Urgent']);
    // deleting a label takes it off its conversations
    await t.app.inject({ method: 'DELETE', url: `${labelsUrl()}/${urgent.id}`, headers: bearer(owner) });
    const one = await t.app.inject({ method: 'GET', url: `/api/v1/ui/conversations/${conversationId}`, headers: bearer(owner) });
    expect(one.json().labels).toEqual([]);
  });

  it('refuses a label of another account, a viewer, and a conversation of an account the person is not in', async () => {
    const foreign = (await create(owner, 'Foreign', '#000000', otherAccountId)).json();
    const res = await setLabels(owner, conversationId, [foreign.id]);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('labels.other_account');
    const byViewer = await setLabels(viewer, conversationId, []);
    expect(byViewer.statusCode).toBe(403);
    // the owner's session is on the first account, and they own the other one too ("All accounts"): its own labels only
    const elsewhere = await setLabels(owner, otherConversationId, [foreign.id]);
    expect(elsewhere.statusCode).toBe(200);
    expect(elsewhere.json().labels.map((l: { name: string }) => l.name)).toEqual(['Foreign']);
    const byStranger = await setLabels(stranger, conversationId, []);
    expect(byStranger.statusCode).toBe(404);
  });

  it('a CRM sets labels with an API key that has conversations:write, and not without it', async () => {
    const key = async (scopes: string[]) =>
      (await t.app.inject({ method: 'POST', url: `/api/v1/accounts/${accountId}/api-keys`, headers: bearer(owner), payload: { name: 'CRM', scopes } })).json().key as string;
    const writer = await key(['conversations:write', 'conversations:read']);
    const reader = await key(['conversations:read']);
    const listed = await t.app.inject({ method: 'GET', url: '/api/v1/labels', headers: { 'x-api-key': writer } });
    const lead = listed.json().labels.find((l: { name: string }) => l.name === 'Lead');
    expect(lead).toBeDefined();
    const ok = await t.app.inject({ method: 'PUT', url: `/api/v1/conversations/${conversationId}/labels`, headers: { 'x-api-key': writer }, payload: { label_ids: [lead.id] } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().labels).toEqual([{ id: lead.id, name: 'Lead', color: '#16a34a' }]);
    const refused = await t.app.inject({ method: 'PUT', url: `/api/v1/conversations/${conversationId}/labels`, headers: { 'x-api-key': reader }, payload: { label_ids: [] } });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('auth.missing_scope');
    const foreign = await t.app.inject({ method: 'PUT', url: `/api/v1/conversations/${otherConversationId}/labels`, headers: { 'x-api-key': writer }, payload: { label_ids: [] } });
    expect(foreign.statusCode).toBe(404);
  });

  it('a cookie session cannot change labels from another site', async () => {
    const res = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/ui/conversations/${conversationId}/labels`,
      headers: { cookie: `threadline_session=${owner}`, origin: 'https://evil.example' },
      payload: { label_ids: [] },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('auth.csrf');
  });
});
