import { createServer, type Server } from 'node:http';
import { and, eq } from 'drizzle-orm';
import { createSimulator, SimClient, type Simulator } from '@threadline/instagram-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestApp } from '../../../test/app.ts';
import { createAccount, createUser } from '../../../test/factories.ts';
import { envelope, inbound, META_ENV, mid, postSigned } from '../../../test/meta.ts';
import { accounts, contacts, mediaObjects, messages } from '../../db/schema/index.ts';
import { jobs } from '../../jobs/registry.ts';

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

describe('end to end with the Instagram simulator', () => {
  let sim: Simulator;
  let control: SimClient;
  let t: TestApp;
  let cdn: Server;
  let cdnUrl: string;

  beforeAll(async () => {
    sim = createSimulator({ deliveryTickMs: 0 });
    const simUrl = await sim.listen(0);
    control = new SimClient(simUrl);
    cdn = createServer((req, res) => {
      if (req.url === '/photo.png') res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
      else if (req.url === '/page.html') res.writeHead(200, { 'content-type': 'text/html' }).end('<script>alert(1)</script>');
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => cdn.listen(0, '127.0.0.1', resolve));
    const address = cdn.address();
    cdnUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    t = await createTestApp({
      ...META_ENV,
      INSTAGRAM_GRAPH_URL: simUrl,
      INSTAGRAM_API_URL: simUrl,
      MEDIA_ALLOWED_NETWORKS: '127.0.0.1/32',
    });
    await t.startWorkers();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await t.close();
    await sim.close();
    await new Promise<void>((resolve) => cdn.close(() => resolve()));
  });

  it('receives a customer DM from the simulator and fetches the new contact profile', async () => {
    const address = t.app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const app = await control.createApp({ secret: META_ENV.INSTAGRAM_OAUTH_CLIENT_SECRET });
    await control.setWebhook(app.id, { callbackUrl: `http://127.0.0.1:${port}/webhooks/instagram`, verifyToken: META_ENV.INSTAGRAM_VERIFY_TOKEN });
    const account = await control.createAccount({ username: 'acme_shop' });
    const { access_token: token } = await control.issueToken({ appId: app.id, accountId: account.igId });
    await control.subscribe({ appId: app.id, accountId: account.igId });
    const threadlineAccount = await createAccount(t.database.db, { igUserId: account.igId, username: 'acme_shop' });
    await t.database.db.update(accounts).set({ accessTokenEncrypted: t.vault.encrypt(token) }).where(eq(accounts.id, threadlineAccount.id));
    const customer = await control.createCustomer({ username: 'jane_doe', name: 'Jane Doe', followerCount: 321 });

    const sent = await control.sendText(customer.igsid, account.igId, 'Is the red one in stock?');
    await t.services.webhookProcessor.runUntilIdle();
    const [stored] = await t.database.db.select().from(messages).where(eq(messages.mid, sent.mid));
    expect(stored).toMatchObject({ text: 'Is the red one in stock?', direction: 'inbound', accountId: threadlineAccount.id });

    expect(await t.queue.runPending(jobs.contactsFetchProfile)).toBe(1);
    const [contact] = await t.database.db
      .select()
      .from(contacts)
      .where(and(eq(contacts.accountId, threadlineAccount.id), eq(contacts.igsid, customer.igsid)));
    expect(contact).toMatchObject({ username: 'jane_doe', name: 'Jane Doe', followerCount: 321, profileFetchError: null });
  });

  it('mirrors an attachment, serves it to members only, and deletes it when the message is unsent', async () => {
    const owner = await createUser(t.database.db, { username: 'media-owner', password: 'media-password' });
    await createUser(t.database.db, { username: 'media-stranger', password: 'stranger-password' });
    const IG = '17841400000055555';
    await createAccount(t.database.db, { igUserId: IG, members: [{ userId: owner.id, role: 'viewer' }] });
    const m = mid();
    await postSigned(t, envelope(IG, [inbound(IG, '777', Date.now(), { mid: m, attachments: [{ type: 'image', payload: { url: `${cdnUrl}/photo.png` } }, { type: 'file', payload: { url: `${cdnUrl}/page.html` } }] })]));
    await t.services.webhookProcessor.runUntilIdle();
    expect(await t.queue.runPending(jobs.mediaMirror)).toBe(2);
    const [message] = await t.database.db.select().from(messages).where(eq(messages.mid, m));
    const media = await t.database.db.select().from(mediaObjects).where(eq(mediaObjects.messageId, message?.id ?? ''));
    const image = media.find((x) => x.attachmentIndex === 0);
    const html = media.find((x) => x.attachmentIndex === 1);
    expect(image).toMatchObject({ status: 'stored', contentType: 'image/png', sizeBytes: PNG.length, originalUrl: `${cdnUrl}/photo.png` });
    expect(html).toMatchObject({ status: 'skipped' });

    const ownerToken = (await login(t, 'media-owner', 'media-password')).token;
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/media/${image?.id}`, headers: bearer(ownerToken) });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.headers['content-security-policy']).toContain('sandbox');
    expect(res.rawPayload.equals(PNG)).toBe(true);
    const strangerToken = (await login(t, 'media-stranger', 'stranger-password')).token;
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/media/${image?.id}`, headers: bearer(strangerToken) })).statusCode).toBe(404);

    await postSigned(t, envelope(IG, [inbound(IG, '777', Date.now() + 1000, { mid: m, is_deleted: true })]));
    await t.services.webhookProcessor.runUntilIdle();
    expect(await t.queue.runPending(jobs.mediaDelete)).toBe(1);
    const gone = await t.app.inject({ method: 'GET', url: `/api/v1/media/${image?.id}`, headers: bearer(ownerToken) });
    expect(gone.statusCode).toBe(404);
  });

  it('refuses to mirror from a private address that is not allowed', async () => {
    const strict = await createTestApp(META_ENV);
    try {
      await strict.startWorkers();
      const IG = '17841400000066666';
      await createAccount(strict.database.db, { igUserId: IG });
      await postSigned(strict, envelope(IG, [inbound(IG, '1', Date.now(), { mid: mid(), attachments: [{ type: 'image', payload: { url: `${cdnUrl}/photo.png` } }] })]));
      await strict.services.webhookProcessor.runUntilIdle();
      await strict.queue.runPending(jobs.mediaMirror);
      const [row] = await strict.database.db.select().from(mediaObjects);
      expect(row?.status).toBe('failed');
      expect(row?.error).toMatch(/loopback|not allowed|https/i);
    } finally {
      await strict.close();
    }
  });
});
