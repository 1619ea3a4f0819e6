import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../../../../test/app.ts';
import { createSimWorld, type SimWorld } from '../../../../test/sim-world.ts';
import { createUploadLinks } from './upload-links.ts';
import { mediaObjects } from '../../../db/schema/index.ts';
import { jobs } from '../../../jobs/registry.ts';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');

describe('attachments uploaded from the inbox', () => {
  let w: SimWorld;
  beforeAll(async () => {
    w = await createSimWorld();
  });
  afterAll(async () => w.close());

  const upload = (body: Buffer, contentType: string, token = w.tokens.admin) =>
    w.t.app.inject({ method: 'POST', url: '/api/v1/ui/uploads', headers: { ...bearer(token), 'content-type': contentType }, payload: body });

  it('stores an image, sends it, and serves Meta the bytes from a signed URL', async () => {
    const c = await w.customerWrites('send me a photo');
    const res = await upload(PNG, 'image/png');
    expect(res.statusCode).toBe(201);
    const { upload_id: uploadId, type } = res.json();
    expect(type).toBe('image');
    const sent = await w.t.app.inject({
      method: 'POST',
      url: `/api/v1/ui/conversations/${c.conversationId}/messages`,
      headers: bearer(w.tokens.admin),
      payload: { attachment: { type: 'image', upload_id: uploadId } },
    });
    expect(sent.statusCode).toBe(202);
    // the agent sees their own image in the thread (Threadline's copy), not "Image (not available)"
    expect(sent.json().attachments[0]).toMatchObject({ type: 'image', url: `/api/v1/media/${uploadId}`, media_status: 'stored' });
    await w.t.queue.runPending(jobs.messagesSend);
    const [entry] = await w.control.outbox({ recipientId: c.igsid });
    const url = String((entry?.body.message as { attachment: { payload: { url: string } } }).attachment.payload.url);
    expect(url).toMatch(/\/media\/public\/[0-9a-f-]{36}\/\d+\/[A-Za-z0-9_-]+$/);
    const path = new URL(url).pathname;
    const fetched = await w.t.app.inject({ method: 'GET', url: path });
    expect(fetched.statusCode).toBe(200);
    expect(fetched.rawPayload.equals(PNG)).toBe(true);
    const thread = await w.t.app.inject({ method: 'GET', url: `/api/v1/ui/conversations/${c.conversationId}/messages`, headers: bearer(w.tokens.admin) });
    expect(thread.json().messages[0].attachments[0].url).toBe(`/api/v1/media/${uploadId}`);
    // served to Meta, not to shared caches; the link's path (a secret) is not in the logs
    expect(fetched.headers['cache-control']).toMatch(/^private, max-age=\d+$/);
    expect(w.t.logLines.join('\n')).not.toContain(path.split('/').at(-1));
    const [, , , id, expires, signature] = path.split('/');
    const forged = await w.t.app.inject({ method: 'GET', url: `/media/public/${uploadId}/${expires}/not-the-signature` });
    expect(forged.statusCode).toBe(404);
    // the expiry is inside the signature: a later one with the same signature is refused
    const stretched = await w.t.app.inject({ method: 'GET', url: `/media/public/${id}/${Number(expires) + 86_400}/${signature}` });
    expect(stretched.statusCode).toBe(404);
  });

  it('refuses types Instagram cannot receive, empty files, and viewers', async () => {
    expect((await upload(Buffer.from('<html>'), 'text/html')).statusCode).toBe(415);
    expect((await upload(Buffer.alloc(0), 'image/png')).statusCode).toBe(400);
    expect((await upload(PNG, 'image/png', w.tokens.viewer)).statusCode).toBe(403);
  });

  it('an upload link stops working at its expiry', async () => {
    const res = await upload(PNG, 'image/png');
    const url = w.t.services.uploadLinks.url(res.json().upload_id);
    expect((await w.t.app.inject({ method: 'GET', url: new URL(url).pathname })).statusCode).toBe(200);
    const expired = w.t.services.uploadLinks.verify(res.json().upload_id, Math.floor(Date.now() / 1000) - 1, 'x');
    expect(expired.ok).toBe(false);
    const past = createUploadLinks({ key: Buffer.alloc(32, 7), origin: 'http://x', ttlSeconds: 60, now: () => new Date(Date.now() - 120_000) });
    const old = new URL(past.url(res.json().upload_id)).pathname.split('/');
    const checker = createUploadLinks({ key: Buffer.alloc(32, 7), origin: 'http://x', ttlSeconds: 60, now: () => new Date() });
    expect(checker.verify(old[3] ?? '', Number(old[4]), old[5] ?? '').ok).toBe(false);
  });
});

describe('upload limits per account, and uploads never sent', () => {
  let w: SimWorld;
  beforeAll(async () => {
    w = await createSimWorld({ UPLOADS_PER_MINUTE: '3', UPLOAD_QUOTA_BYTES: String(PNG.length * 2) });
  });
  afterAll(async () => w.close());
  const upload = (body: Buffer) =>
    w.t.app.inject({ method: 'POST', url: '/api/v1/ui/uploads', headers: { ...bearer(w.tokens.admin), 'content-type': 'image/png' }, payload: body });

  it('refuses past the account’s quota (413) and past its rate (429)', async () => {
    expect((await upload(PNG)).statusCode).toBe(201);
    expect((await upload(PNG)).statusCode).toBe(201);
    const full = await upload(PNG);
    expect(full.statusCode).toBe(413);
    expect(full.json().error.code).toBe('uploads.quota_exceeded');
    const fast = await upload(PNG);
    expect(fast.statusCode).toBe(429);
    expect(fast.json().error.code).toBe('uploads.rate_limited');
  });

  it('deletes uploads no message used after a day, and keeps the ones sent', async () => {
    const c = await w.customerWrites('a photo please');
    const [sentUpload, unsentUpload] = await w.t.database.db.select().from(mediaObjects).where(eq(mediaObjects.source, 'upload')).orderBy(mediaObjects.createdAt);
    const sent = await w.t.app.inject({
      method: 'POST',
      url: `/api/v1/ui/conversations/${c.conversationId}/messages`,
      headers: bearer(w.tokens.admin),
      payload: { attachment: { type: 'image', upload_id: sentUpload?.id } },
    });
    expect(sent.statusCode).toBe(202);
    expect(await w.t.services.media.deleteUnsentUploads(new Date(Date.now() - 3_600_000))).toBe(0);
    expect(await w.t.services.media.deleteUnsentUploads(new Date(Date.now() + 1_000))).toBe(1);
    const rows = await w.t.database.db.select().from(mediaObjects).where(eq(mediaObjects.source, 'upload'));
    expect(rows.find((r) => r.id === unsentUpload?.id)?.status).toBe('deleted');
    expect(rows.find((r) => r.id === sentUpload?.id)?.status).toBe('stored');
  });
});
