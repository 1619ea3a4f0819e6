import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../../../test/app.ts';
import { createSimWorld, type SimWorld } from '../../../test/sim-world.ts';

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
    await w.t.queue.runPending('messages.send');
    const [entry] = await w.control.outbox({ recipientId: c.igsid });
    const url = String((entry?.body.message as { attachment: { payload: { url: string } } }).attachment.payload.url);
    expect(url).toMatch(/\/media\/public\/[0-9a-f-]{36}\/[A-Za-z0-9_-]+$/);
    const fetched = await w.t.app.inject({ method: 'GET', url: new URL(url).pathname });
    expect(fetched.statusCode).toBe(200);
    expect(fetched.rawPayload.equals(PNG)).toBe(true);
    const thread = await w.t.app.inject({ method: 'GET', url: `/api/v1/ui/conversations/${c.conversationId}/messages`, headers: bearer(w.tokens.admin) });
    expect(thread.json().messages[0].attachments[0].url).toBe(`/api/v1/media/${uploadId}`);
    const forged = await w.t.app.inject({ method: 'GET', url: `/media/public/${uploadId}/not-the-signature` });
    expect(forged.statusCode).toBe(404);
  });

  it('refuses types Instagram cannot receive, empty files, and viewers', async () => {
    expect((await upload(Buffer.from('<html>'), 'text/html')).statusCode).toBe(415);
    expect((await upload(Buffer.alloc(0), 'image/png')).statusCode).toBe(400);
    expect((await upload(PNG, 'image/png', w.tokens.viewer)).statusCode).toBe(403);
  });
});
