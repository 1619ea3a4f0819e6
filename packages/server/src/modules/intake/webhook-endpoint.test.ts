import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { createTestDatabase } from '../../../test/db.ts';
import { APP_SECRET, envelope, inbound, META_ENV, mid, postSigned, VERIFY_TOKEN } from '../../../test/meta.ts';
import { queryRows } from '../../db/client.ts';
import { signMetaBody } from '../../instagram/webhook-signature.ts';

async function rawCount(t: TestApp): Promise<number> {
  const [row] = await queryRows<{ n: number }>(t.database.db, sql`select count(*)::int as n from webhook_events`);
  return row?.n ?? 0;
}

describe('the Instagram webhook endpoint', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ ...META_ENV, WEBHOOK_BODY_LIMIT_BYTES: String(200_000), META_APP_SECRET: 'the-meta-app-secret' });
    await t.startWorkers();
  });
  afterAll(async () => t.close());

  const body = () => envelope('17841400000000001', [inbound('17841400000000001', '9001', Date.now(), { mid: mid(), text: 'hi' })]);

  it('answers the verification handshake with the challenge', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/webhooks/instagram?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1158201444`,
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('1158201444');
  });

  it('refuses the handshake with a wrong verify token or mode', async () => {
    for (const q of ['hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1', `hub.mode=unsubscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1`, '']) {
      const res = await t.app.inject({ method: 'GET', url: `/webhooks/instagram?${q}` });
      expect(res.statusCode).toBe(403);
    }
  });

  it('stores a correctly signed POST and answers 200', async () => {
    const before = await rawCount(t);
    const res = await postSigned(t, body());
    expect(res.statusCode).toBe(200);
    expect(await rawCount(t)).toBe(before + 1);
  });

  it('stores POSTs arriving together (one insert for many), each with its own bytes and the secret that signed it', async () => {
    const posts = Array.from({ length: 30 }, (_, i) => ({
      raw: JSON.stringify(envelope('17841400000000001', [inbound('17841400000000001', '9001', Date.now(), { mid: mid(), text: `together ${i} ✓ "q"` })])),
      metaSecret: i % 3 === 0,
    }));
    const answers = await Promise.all(posts.map((p) => postSigned(t, null, { raw: p.raw, ...(p.metaSecret ? { secret: 'the-meta-app-secret' } : {}) })));
    expect(answers.map((a) => a.statusCode)).toEqual(posts.map(() => 200));
    const rows = await queryRows<{ body: string; secret_index: number }>(
      t.database.db,
      sql`select convert_from(body, 'UTF8') as body, signature_secret_index as secret_index from webhook_events where convert_from(body, 'UTF8') like '%together %'`,
    );
    expect(rows.map((r) => r.body).sort()).toEqual(posts.map((p) => p.raw).sort());
    const indexOf = (raw: string) => rows.find((r) => r.body === raw)?.secret_index;
    const instagramIndex = indexOf(posts[1]?.raw ?? '');
    for (const p of posts) {
      if (p.metaSecret) expect(indexOf(p.raw)).not.toBe(instagramIndex);
      else expect(indexOf(p.raw)).toBe(instagramIndex);
    }
  });

  it('accepts the Meta app secret as well as the Instagram app secret', async () => {
    const res = await postSigned(t, body(), { secret: 'the-meta-app-secret' });
    expect(res.statusCode).toBe(200);
  });

  it('answers 401 and stores nothing for a missing, wrong, truncated or foreign signature', async () => {
    const before = await rawCount(t);
    const payload = JSON.stringify(body());
    const good = signMetaBody(Buffer.from(payload), APP_SECRET);
    const cases = [
      undefined,
      'sha256=',
      good.slice(0, 40),
      good.replace(/[0-9a-f]$/, (c) => (c === '0' ? '1' : '0')),
      signMetaBody(Buffer.from(payload), 'another-secret'),
      'sha1=abcdef',
    ];
    for (const signature of cases) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/webhooks/instagram',
        headers: { 'content-type': 'application/json', ...(signature ? { 'x-hub-signature-256': signature } : {}) },
        payload,
      });
      expect(res.statusCode, String(signature)).toBe(401);
    }
    expect(await rawCount(t)).toBe(before);
  });

  it('answers 401 when a validly signed body is altered afterwards', async () => {
    const before = await rawCount(t);
    const payload = JSON.stringify(body());
    const signature = signMetaBody(Buffer.from(payload), APP_SECRET);
    const res = await postSigned(t, null, { raw: payload.replace('"hi"', '"hI"'), signature });
    expect(res.statusCode).toBe(401);
    expect(await rawCount(t)).toBe(before);
  });

  it('keeps a signed body that is not JSON, or not an instagram object, and marks it invalid', async () => {
    await postSigned(t, null, { raw: '{"object": "instagram", "entry": [' });
    await postSigned(t, { object: 'page', entry: [] });
    await t.services.webhookProcessor.runUntilIdle();
    const rows = await queryRows<{ status: string }>(t.database.db, sql`select status from webhook_events order by id desc limit 2`);
    expect(rows.map((r) => r.status)).toEqual(['invalid', 'invalid']);
  });

  it('refuses an oversized body with 413 and stores nothing', async () => {
    const before = await rawCount(t);
    const big = JSON.stringify({ object: 'instagram', entry: [], pad: 'x'.repeat(250_000) });
    const res = await postSigned(t, null, { raw: big });
    expect(res.statusCode).toBe(413);
    expect(await rawCount(t)).toBe(before);
  });

  it('lists stored events to administrators only', async () => {
    const admin = await t.app.inject({ method: 'POST', url: '/api/v1/setup', payload: { username: 'root', password: 'root-password' } });
    const token = admin.json().token as string;
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/admin/webhook-events?status=invalid', headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json().events.length).toBeGreaterThanOrEqual(2);
    expect(res.json().events[0]).toMatchObject({ status: 'invalid' });
    const anon = await t.app.inject({ method: 'GET', url: '/api/v1/admin/webhook-events' });
    expect(anon.statusCode).toBe(401);
  });
});

describe('when the database cannot take the event', () => {
  it('answers 503 (never 200) so Meta retries', async () => {
    const database = await createTestDatabase();
    const t = await createTestApp(META_ENV, { database });
    try {
      await database.close();
      const res = await postSigned(t, envelope('1', [inbound('1', '2', Date.now(), { mid: mid(), text: 'x' })]));
      expect(res.statusCode).toBe(503);
      expect(res.json().error.code).toBe('webhooks.unavailable');
    } finally {
      await t.app.close();
    }
  });
});
