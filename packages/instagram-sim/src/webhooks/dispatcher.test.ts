import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startReceiver, startSim, world } from '../../test/harness.ts';
import type { Harness, Receiver } from '../../test/harness.ts';
import { RETRY_DELAYS_MS } from './dispatcher.ts';

let h: Harness;
let receiver: Receiver;
beforeEach(async () => {
  h = await startSim();
  receiver = await startReceiver();
});
afterEach(async () => {
  await h.close();
  await receiver.close();
});

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const entriesOf = (json: unknown): Record<string, unknown>[] =>
  isRecord(json) && Array.isArray(json['entry']) ? json['entry'].filter(isRecord) : [];
const textsOf = (json: unknown): string[] =>
  entriesOf(json).flatMap((e) => (Array.isArray(e['messaging']) ? e['messaging'] : []))
    .map((m) => (isRecord(m) && isRecord(m['message']) ? String(m['message']['text']) : ''));

describe('verification handshake', () => {
  it('saves a callback that echoes hub.challenge for the right hub.verify_token, and records the attempt', async () => {
    const app = await h.client.createApp();
    const saved = await h.client.setWebhook(app.id, { callbackUrl: receiver.url, verifyToken: 'verify-me' });
    expect(saved.webhook).toMatchObject({ callbackUrl: receiver.url, verifyToken: 'verify-me' });
    const [attempt] = await h.client.webhookAttempts({ appId: app.id });
    expect(attempt).toMatchObject({ kind: 'verification', ok: true, status: 200 });
  });

  it('refuses a callback that answers 403 to a wrong verify token', async () => {
    const app = await h.client.createApp();
    await expect(h.client.setWebhook(app.id, { callbackUrl: receiver.url, verifyToken: 'wrong' })).rejects.toMatchObject({
      status: 422, code: 'sim.webhook_verification_failed',
    });
    expect(h.sim.state.app(app.id)?.webhook).toBeNull();
  });

  it('refuses a callback that cannot be reached', async () => {
    const app = await h.client.createApp();
    await expect(h.client.setWebhook(app.id, { callbackUrl: 'http://127.0.0.1:9/hook', verifyToken: 'x' })).rejects.toMatchObject({ status: 422 });
  });
});

describe('delivery', () => {
  it('retries at once, then with back-off on the simulated clock, recording every attempt', async () => {
    const w = await world(h, receiver);
    receiver.failNext(500, 500, 503);
    const { deliveries: [id] } = await h.client.sendText(w.customer.igsid, w.account.igId, 'retry me');
    let attempts = await h.client.webhookAttempts({ deliveryId: id });
    expect(attempts.map((a) => a.status)).toEqual([500, 500]);
    expect(attempts.map((a) => a.ok)).toEqual([false, false]);
    await h.client.advanceClock({ advanceMs: (RETRY_DELAYS_MS[1] ?? 0) - 1000 });
    expect(await h.client.webhookAttempts({ deliveryId: id })).toHaveLength(2);
    await h.client.advanceClock({ advanceSeconds: 1 });
    attempts = await h.client.webhookAttempts({ deliveryId: id });
    expect(attempts.map((a) => a.status)).toEqual([500, 500, 503]);
    await h.client.advanceClock({ advanceMs: RETRY_DELAYS_MS[2] ?? 0 });
    attempts = await h.client.webhookAttempts({ deliveryId: id });
    expect(attempts.at(-1)).toMatchObject({ ok: true, status: 200, attempt: 4 });
    expect((await h.client.deliveries({ status: 'delivered' })).map((d) => d.id)).toContain(id);
    expect(textsOf(receiver.received.at(-1)?.json)).toEqual(['retry me']);
  });

  it('gives up after 36 hours of failures', async () => {
    const w = await world(h, receiver);
    receiver.failNext(...Array.from({ length: 20 }, () => 500));
    const { deliveries: [id] } = await h.client.sendText(w.customer.igsid, w.account.igId, 'doomed');
    for (let i = 0; i < 40; i += 1) await h.client.advanceClock({ advanceHours: 1 });
    const [delivery] = (await h.client.deliveries()).filter((d) => d.id === id);
    expect(delivery?.status).toBe('dropped');
    const attempts = await h.client.webhookAttempts({ deliveryId: id });
    expect(attempts).toHaveLength(RETRY_DELAYS_MS.length + 1);
    expect((attempts.at(-1)?.at ?? 0) - (attempts[0]?.at ?? 0)).toBeLessThanOrEqual(36 * 3_600_000);
  });

  it('delivers pending retries at once on flush, without waiting for the back-off', async () => {
    const w = await world(h, receiver);
    receiver.failNext(500, 500);
    await h.client.sendText(w.customer.igsid, w.account.igId, 'flush me');
    expect(await h.client.deliveries({ status: 'pending' })).toHaveLength(1);
    const result = await h.client.flushWebhooks();
    expect(result).toMatchObject({ attempted: 1, delivered: 1 });
    expect(textsOf(receiver.received.at(-1)?.json)).toEqual(['flush me']);
  });

  it('holds events and batches several events and entries into one POST on flush', async () => {
    const w = await world(h, receiver);
    const second = await h.client.createAccount();
    await h.client.subscribe({ appId: w.app.id, accountId: second.igId });
    await h.client.setWebhookMode({ hold: true, batch: true });
    await h.client.sendText(w.customer.igsid, w.account.igId, 'one');
    await h.client.sendText(w.customer.igsid, w.account.igId, 'two');
    await h.client.sendText(w.customer.igsid, second.igId, 'three');
    expect(receiver.received).toHaveLength(0);
    expect(await h.client.heldEvents()).toHaveLength(3);
    expect(await h.client.flushWebhooks()).toMatchObject({ released: 3, attempted: 1, delivered: 1 });
    expect(receiver.received).toHaveLength(1);
    const entries = entriesOf(receiver.received[0]?.json);
    expect(entries.map((e) => e['id'])).toEqual([w.account.igId, second.igId]);
    expect(textsOf(receiver.received[0]?.json)).toEqual(['one', 'two', 'three']);
  });

  it('delivers held events out of order and twice when asked', async () => {
    const w = await world(h, receiver);
    await h.client.setWebhookMode({ hold: true, reverse: true, duplicates: true });
    await h.client.sendText(w.customer.igsid, w.account.igId, 'first');
    await h.client.sendText(w.customer.igsid, w.account.igId, 'second');
    await h.client.flushWebhooks();
    const texts = receiver.received.map((r) => textsOf(r.json)[0]);
    expect(texts.sort()).toEqual(['first', 'first', 'second', 'second']);
    const bodies = receiver.received.map((r) => r.body);
    expect(new Set(bodies).size).toBe(2);
    const order = (await h.client.deliveries()).map((d) => textsOf(JSON.parse(d.body))[0]);
    expect(order).toEqual(['second', 'second', 'first', 'first']);
  });
});
