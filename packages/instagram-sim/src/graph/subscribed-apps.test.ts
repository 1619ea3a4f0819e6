import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { graph, startSim } from '../../test/harness.ts';
import type { Harness } from '../../test/harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await startSim();
});
afterEach(async () => h.close());

async function setup() {
  const app = await h.client.createApp({ name: 'Threadline' });
  const account = await h.client.createAccount();
  const { access_token: token } = await h.client.issueToken({ appId: app.id, accountId: account.igId });
  return { app, account, token };
}
const FIELDS = 'messages,messaging_postbacks,messaging_seen,message_reactions,messaging_referral';

describe('/{version}/{IG_ID|me}/subscribed_apps', () => {
  it('subscribes with POST, lists with GET and stops with DELETE', async () => {
    const { app, account, token } = await setup();
    const post = await graph(h.url, `/v25.0/me/subscribed_apps?subscribed_fields=${FIELDS}`, { method: 'POST', token });
    expect(post.body).toEqual({ success: true });
    const list = await graph(h.url, `/v25.0/${account.igId}/subscribed_apps`, { token });
    expect(list.body).toEqual({ data: [{ id: app.id, name: 'Threadline', subscribed_fields: FIELDS.split(',') }] });
    const del = await graph(h.url, '/v25.0/me/subscribed_apps', { method: 'DELETE', token });
    expect(del.body).toEqual({ success: true });
    expect((await graph(h.url, '/v25.0/me/subscribed_apps', { token })).body).toEqual({ data: [] });
  });

  it('requires subscribed_fields', async () => {
    const { token } = await setup();
    const res = await graph(h.url, '/v25.0/me/subscribed_apps', { method: 'POST', token });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 100, message: '(#100) The parameter subscribed_fields is required' } });
  });

  it('rejects a field that Instagram Login does not have', async () => {
    const { token } = await setup();
    const res = await graph(h.url, '/v25.0/me/subscribed_apps?subscribed_fields=messages,messaging_policy_enforcement', { method: 'POST', token });
    expect(res.body).toMatchObject({ error: { code: 100, message: expect.stringContaining('messaging_policy_enforcement') } });
  });

  it('accepts the MSG spellings messaging_reactions/messaging_referrals as aliases, unless the variant is strict', async () => {
    const { token } = await setup();
    await graph(h.url, '/v25.0/me/subscribed_apps?subscribed_fields=messaging_reactions,messaging_referrals', { method: 'POST', token });
    expect((await graph(h.url, '/v25.0/me/subscribed_apps', { token })).body).toMatchObject({
      data: [{ subscribed_fields: ['message_reactions', 'messaging_referral'] }],
    });
    await h.client.setVariants({ acceptFieldAliases: false });
    const strict = await graph(h.url, '/v25.0/me/subscribed_apps?subscribed_fields=messaging_reactions', { method: 'POST', token });
    expect(strict.body).toMatchObject({ error: { code: 100 } });
  });

  it('takes the fields in a form body too', async () => {
    const { token } = await setup();
    const res = await graph(h.url, '/v25.0/me/subscribed_apps', { method: 'POST', token, form: { subscribed_fields: 'messages' } });
    expect(res.body).toEqual({ success: true });
  });

  it('refuses another account\'s edge (100/33)', async () => {
    const { token } = await setup();
    const other = await h.client.createAccount();
    const res = await graph(h.url, `/v25.0/${other.igId}/subscribed_apps?subscribed_fields=messages`, { method: 'POST', token });
    expect(res.body).toMatchObject({ error: { code: 100, error_subcode: 33 } });
  });
});
