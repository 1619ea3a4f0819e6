import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, type TestApp } from '../../../../test/app.ts';
import { createAccount } from '../../../../test/factories.ts';
import { createTeamApp } from '../../../../test/team-world.ts';
import { createConversation } from '../../../../test/inbox-factories.ts';

describe('the contact panel and the CRM record link', () => {
  let t: TestApp;
  let owner = '';
  let viewer = '';
  let stranger = '';
  let shop = '';
  let conversationId = '';
  let outletConversationId = '';

  beforeAll(async () => {
    const team = await createTeamApp();
    t = team.t;
    shop = team.shop;
    ({ owner, viewer, stranger } = team.tokens);
    const outlet = (await createAccount(team.db, { username: 'outlet', members: [{ userId: team.users.owner.id, role: 'admin' }] })).id;
    conversationId = (await createConversation(team.db, shop, { igsid: '111', username: 'Ana.S', name: 'Ana' })).conversation.id;
    outletConversationId = (await createConversation(team.db, outlet, { igsid: '222', username: 'ana.s', name: 'Ana' })).conversation.id;
    await createConversation(team.db, team.theirs, { igsid: '333', username: 'ana.s' });
  });
  afterAll(async () => t.close());

  const panel = (token: string, id = conversationId) => t.app.inject({ method: 'GET', url: `/api/v1/ui/conversations/${id}/contact`, headers: bearer(token) });
  const setLink = (token: string, template: string | null) =>
    t.app.inject({ method: 'PUT', url: `/api/v1/accounts/${shop}/crm-record-link`, headers: bearer(token), payload: { template } });

  it('shows the contact, their conversations on the person\'s other accounts (not others\'), and no CRM link yet', async () => {
    const res = await panel(owner);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.contact).toMatchObject({ igsid: '111', username: 'Ana.S', name: 'Ana' });
    expect(body.contact.first_contact_at).toMatch(/^\d{4}-/);
    expect(body.other_conversations).toEqual([expect.objectContaining({ id: outletConversationId, account_username: 'outlet' })]);
    expect(body.crm_record_url).toBeNull();
    // a viewer of the shop only sees the shop
    expect((await panel(viewer)).json().other_conversations).toEqual([]);
  });

  it('links into the CRM record from the account\'s template, which only an admin sets and must be http(s)', async () => {
    expect((await setLink(viewer, 'https://crm.example.com/x')).statusCode).toBe(403);
    const bad = await setLink(owner, 'javascript:alert(1)');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('http(s) URL');
    expect((await setLink(owner, 'https://crm.example.com/contacts?ig={{contact.igsid}}&u={{contact.username}}')).statusCode).toBe(200);
    expect((await panel(viewer)).json().crm_record_url).toBe('https://crm.example.com/contacts?ig=111&u=Ana.S');
    const read = await t.app.inject({ method: 'GET', url: `/api/v1/accounts/${shop}/crm-record-link`, headers: bearer(viewer) });
    expect(read.json().template).toContain('{{contact.igsid}}');
    expect((await setLink(owner, null)).json()).toEqual({ template: null });
  });

  it('is not shown to someone outside the account', async () => {
    expect((await panel(stranger)).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/accounts/${shop}/crm-record-link`, headers: bearer(stranger) })).statusCode).toBe(404);
  });
});
