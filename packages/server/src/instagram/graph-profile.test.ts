import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { classifyGraphError } from './graph-client.ts';
import { connectedWorld, startSim } from './graph-test-world.ts';
import type { SimHarness } from './graph-test-world.ts';

let h: SimHarness;
beforeEach(async () => {
  h = await startSim();
});
afterEach(async () => h.close());

describe('getMe', () => {
  it('returns the app-scoped id, the IG_ID used by webhooks, and the profile fields', async () => {
    const { account, token, client } = await connectedWorld(h);
    const me = await client.getMe(token);
    expect(me).toMatchObject({
      userId: account.igId,
      username: 'acme_shop',
      name: 'Acme Shop',
      accountType: 'Business',
      followersCount: account.followersCount,
      followsCount: account.followsCount,
      mediaCount: account.mediaIds.length,
      profilePictureUrl: account.profilePictureUrl,
    });
    expect(me.id).toMatch(/^\d+$/);
    expect(me.id).not.toBe(me.userId);
    expect(me.biography).toBeUndefined();
  });

  it('reads the data[]-wrapped answer the same way', async () => {
    await h.control.setVariants({ meResponseShape: 'data' });
    const { account, token, client } = await connectedWorld(h);
    expect(await client.getMe(token)).toMatchObject({ userId: account.igId, username: 'acme_shop' });
  });

  it('asks for the biography only when told to', async () => {
    await h.control.setVariants({ meSupportsBiography: true });
    const { token, client } = await connectedWorld(h);
    expect((await client.getMe(token, { includeBiography: true })).biography).toBe('');
  });

  it('reports usage figures of the answer', async () => {
    const { token, client } = await connectedWorld(h);
    const me = await client.getMe(token);
    expect(me.usage).toEqual({ app: null, businessUseCase: [] });
  });
});

describe('getUserProfile', () => {
  it('reads the profile of a customer who wrote to the account', async () => {
    const { customer, token, client } = await connectedWorld(h);
    expect(await client.getUserProfile(token, customer.igsid)).toMatchObject({
      name: 'Jane Doe',
      username: 'jane',
      profilePic: customer.profilePic,
      followerCount: customer.followerCount,
      isUserFollowBusiness: false,
      isBusinessFollowUser: false,
      isVerifiedUser: false,
    });
  });

  it('is refused for someone who never wrote, as a permanent error', async () => {
    const { token, client } = await connectedWorld(h);
    const stranger = await h.control.createCustomer({ username: 'stranger' });
    const error = await client.getUserProfile(token, stranger.igsid).catch((e: unknown) => e);
    expect(error).toMatchObject({ failure: 'graph', code: 230 });
    expect(classifyGraphError(error)).toBe('permanent');
  });
});

describe('subscribed_apps', () => {
  it('subscribes the account, lists the subscription and removes it', async () => {
    const { app, token, client } = await connectedWorld(h);
    const fields = ['messages', 'message_reactions', 'messaging_seen'];
    expect((await client.subscribeApp(token, fields)).success).toBe(true);
    expect((await client.listSubscribedApps(token)).apps).toEqual([
      { id: app.id, name: app.name, subscribedFields: fields },
    ]);
    expect((await client.unsubscribeApp(token)).success).toBe(true);
    expect((await client.listSubscribedApps(token)).apps).toEqual([]);
  });

  it('rejects an unknown field name as a permanent error', async () => {
    const { token, client } = await connectedWorld(h);
    const error = await client.subscribeApp(token, ['messages', 'no_such_field']).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 100 });
    expect(classifyGraphError(error)).toBe('permanent');
  });
});
