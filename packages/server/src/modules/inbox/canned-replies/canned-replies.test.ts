import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, type TestApp } from '../../../../test/app.ts';
import { createTeamApp } from '../../../../test/team-world.ts';
import { createConversation } from '../../../../test/inbox-factories.ts';
import { auditLog } from '../../../db/schema/index.ts';

describe('canned replies', () => {
  let t: TestApp;
  let owner = '';
  let viewer = '';
  let stranger = '';
  let accountId = '';
  let conversationId = '';
  let otherConversationId = '';

  beforeAll(async () => {
    const team = await createTeamApp({ ownerName: 'rui' });
    t = team.t;
    accountId = team.shop;
    ({ owner, viewer, stranger } = team.tokens);
    conversationId = (await createConversation(team.db, accountId, { username: 'ana.s', name: 'Ana Silva' })).conversation.id;
    otherConversationId = (await createConversation(team.db, team.theirs, { username: 'cleo' })).conversation.id;
  });
  afterAll(async () => t.close());

  const url = `/api/v1/accounts/${'{id}'}/canned-replies`;
  const repliesUrl = () => url.replace('{id}', accountId);
  const create = (token: string, shortcut: string, text: string) =>
    t.app.inject({ method: 'POST', url: repliesUrl(), headers: bearer(token), payload: { shortcut, text } });
  const fill = (token: string, conversation: string, replyId: string) =>
    t.app.inject({ method: 'POST', url: `/api/v1/ui/conversations/${conversation}/canned-replies/${replyId}/fill`, headers: bearer(token) });

  it('an admin saves a reply; a viewer lists it; shortcuts are unique per account', async () => {
    const res = await create(owner, 'Hello', 'Hi {{contact.name}}, this is {{agent.name}} from the shop.');
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ shortcut: 'hello', account_id: accountId });
    const dup = await create(owner, 'hello', 'Again');
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error.code).toBe('canned_replies.shortcut_taken');
    const list = await t.app.inject({ method: 'GET', url: repliesUrl(), headers: bearer(viewer) });
    expect(list.json().canned_replies.map((r: { shortcut: string }) => r.shortcut)).toEqual(['hello']);
    const audited = await t.database.db.select().from(auditLog).where(eq(auditLog.action, 'canned_replies.created'));
    expect(audited).toHaveLength(1);
  });

  it('refuses an unknown variable, a viewer, and a stranger', async () => {
    const bad = await create(owner, 'order', 'Your order {{order.id}}');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('unknown variable {{order.id}}');
    expect((await create(viewer, 'nope', 'x')).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: repliesUrl(), headers: bearer(stranger) })).statusCode).toBe(404);
  });

  it('fills the variables for the conversation and the signed-in person', async () => {
    const reply = (await create(owner, 'hi2', 'Hi {{contact.name}} (@{{contact.username}}), {{agent.name}} here.')).json();
    const res = await fill(owner, conversationId, reply.id);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ text: 'Hi Ana Silva (@ana.s), rui here.', bytes: 32 });
    // a viewer may fill (and read) it; sending stays with admins
    expect((await fill(viewer, conversationId, reply.id)).statusCode).toBe(200);
  });

  it('refuses a filled text that passes 1000 bytes, with the size in the error', async () => {
    // a 1000-byte template, whose contact name is longer than its placeholder
    const longName = (await createConversation(t.database.db, accountId, { username: 'maria', name: 'Maria da Conceição Albuquerque' })).conversation.id;
    const reply = (await create(owner, 'long', `${'x'.repeat(1000 - '{{contact.name}}'.length)}{{contact.name}}`)).json();
    expect((await fill(owner, conversationId, reply.id)).statusCode).toBe(200);
    const res = await fill(owner, longName, reply.id);
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('canned_replies.too_long');
    expect(res.json().error.message).toContain('the reply is 1016 bytes; Instagram allows at most 1000 bytes');
  });

  it('does not fill a reply into a conversation of another account, nor for a stranger', async () => {
    const reply = (await create(owner, 'bye', 'Bye!')).json();
    expect((await fill(owner, otherConversationId, reply.id)).statusCode).toBe(404);
    expect((await fill(stranger, conversationId, reply.id)).statusCode).toBe(404);
  });

  it('edits and deletes a reply', async () => {
    const reply = (await create(owner, 'edit-me', 'Old')).json();
    const edited = await t.app.inject({ method: 'PATCH', url: `${repliesUrl()}/${reply.id}`, headers: bearer(owner), payload: { text: 'New' } });
    expect(edited.json()).toMatchObject({ shortcut: 'edit-me', text: 'New' });
    const deleted = await t.app.inject({ method: 'DELETE', url: `${repliesUrl()}/${reply.id}`, headers: bearer(owner) });
    expect(deleted.statusCode).toBe(200);
    const again = await t.app.inject({ method: 'DELETE', url: `${repliesUrl()}/${reply.id}`, headers: bearer(owner) });
    expect(again.json().error.code).toBe('canned_replies.not_found');
  });
});
