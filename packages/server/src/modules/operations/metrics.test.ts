import fs from 'node:fs';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { afterEach, describe, expect, it } from 'vitest';
import { accounts, crmDeliveries, webhookEvents } from '../../db/schema/index.ts';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { createAccount } from '../../../test/factories.ts';
import { freePort } from '../../../test/net.ts';
import { envelope, inbound, META_ENV, mid, postSigned } from '../../../test/meta.ts';

const TOKEN = 'metrics-token-0123456789abcdef';

/** The value of one sample line (`name{labels} value`) of the exposition, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('reports the process, HTTP by route and status, the webhook backlog, CRM per endpoint, the send queue and token horizons', async () => {
    t = await createTestApp();
    const db = t.database.db;
    const shop = await createAccount(db, { username: 'acme_shop' });
    await db
      .update(accounts)
      .set({
        tokenExpiresAt: new Date(Date.now() + 10 * 86_400_000),
        crmWebhookUrl: 'https://crm.example.com/hook',
        crmFailingSince: new Date(Date.now() - 3_600_000),
        // Meta throttled its sends: paused for the next minute
        sendPausedUntil: new Date(Date.now() + 60_000),
      })
      .where(eq(accounts.id, shop.id));
    await db.insert(crmDeliveries).values([
      { id: 'msg_1', accountId: shop.id, eventType: 'message.received', payload: {}, createdAt: new Date(Date.now() - 120_000) },
      { id: 'msg_2', accountId: shop.id, eventType: 'message.received', payload: {} },
    ]);
    await db.insert(webhookEvents).values({ body: Buffer.from('{}'), receivedAt: new Date(Date.now() - 30_000) });
    await t.app.inject({ method: 'GET', url: '/api/v1/conversations' });

    const res = await t.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    const text = res.body;
    expect(text).toContain('threadline_process_cpu_seconds_total');
    expect(text).toContain('threadline_nodejs_eventloop_lag_seconds');
    expect(text).toMatch(/threadline_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/conversations",status_code="401"\} 1/);
    expect(sample(text, 'threadline_webhook_backlog_events')).toBe(1);
    expect(sample(text, 'threadline_webhook_lag_seconds')).toBeGreaterThanOrEqual(29);
    expect(sample(text, 'threadline_crm_pending_deliveries{account="acme_shop"}')).toBe(2);
    expect(sample(text, 'threadline_crm_oldest_pending_seconds{account="acme_shop"}')).toBeGreaterThanOrEqual(119);
    expect(sample(text, 'threadline_crm_endpoint_failing_seconds{account="acme_shop"}')).toBeGreaterThanOrEqual(3599);
    expect(sample(text, 'threadline_crm_endpoint_disabled{account="acme_shop"}')).toBe(0);
    expect(sample(text, 'threadline_send_queue_messages{state="queued"}')).toBe(0);
    expect(sample(text, 'threadline_send_paused_accounts')).toBe(1);
    const horizon = sample(text, 'threadline_account_token_expiry_seconds{account="acme_shop"}') ?? 0;
    expect(horizon).toBeGreaterThan(9 * 86_400);
    expect(horizon).toBeLessThanOrEqual(10 * 86_400);
    expect(text).toContain('threadline_crm_attempts_total');
    // no webhook yet: the round histograms are there, empty
    expect(sample(text, 'threadline_webhook_round_posts_count')).toBe(0);

    // the Grafana dashboard (deploy/grafana) charts only metrics that exist
    const dashboard = z.object({ panels: z.array(z.object({ targets: z.array(z.object({ expr: z.string() })).optional() })) }).parse(
      JSON.parse(fs.readFileSync(new URL('../../../../../deploy/grafana/threadline.json', import.meta.url), 'utf8')),
    );
    const charted = new Set(dashboard.panels.flatMap((p) => (p.targets ?? []).flatMap((t) => t.expr.match(/threadline_[a-z0-9_]+/g) ?? [])));
    expect(charted.size).toBeGreaterThan(15);
    const exposed = new Set(text.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]));
    for (const name of charted) expect(exposed.has(name.replace(/_(bucket|count|sum)$/, '')), name).toBe(true);
  });

  it('time the rounds that store and apply Meta\'s POSTs: the wait for a round, the round, the POSTs in it', async () => {
    t = await createTestApp({ ...META_ENV, WEBHOOK_GATHER_MS: '30' });
    await t.startWorkers();
    const account = await createAccount(t.database.db, { username: 'acme_shop' });
    const posts = await Promise.all(
      ['a', 'b'].map((text, i) => postSigned(t as TestApp, envelope(account.igUserId, [inbound(account.igUserId, `cust-${i}`, Date.now(), { mid: mid(), text })]))),
    );
    expect(posts.map((r) => r.statusCode)).toEqual([200, 200]);
    const text = (await t.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1' })).body;
    // both in one round, which waited the gathering delay for the second
    expect(sample(text, 'threadline_webhook_round_posts_count')).toBe(1);
    expect(sample(text, 'threadline_webhook_round_posts_sum')).toBe(2);
    expect(sample(text, 'threadline_webhook_round_duration_seconds_count{outcome="committed"}')).toBe(1);
    expect(sample(text, 'threadline_webhook_round_wait_seconds_count')).toBe(2);
    expect(sample(text, 'threadline_webhook_round_wait_seconds_bucket{le="0.015"}')).toBe(0);
  });

  it('are refused to other networks, and to a client that only claims a loopback address', async () => {
    t = await createTestApp();
    const outside = await t.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '203.0.113.9' });
    expect(outside.statusCode).toBe(403);
    expect(outside.json()).toMatchObject({ error: { code: 'metrics.forbidden' } });
    const spoofed = await t.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '203.0.113.9', headers: { 'x-forwarded-for': '127.0.0.1' } });
    expect(spoofed.statusCode).toBe(403);
  });

  it('behind one trusted proxy, go by the address the proxy saw, not the proxy\'s own', async () => {
    t = await createTestApp({ TRUST_PROXY: '1' });
    const viaProxy = await t.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(viaProxy.statusCode).toBe(403);
    // a client's own X-Forwarded-For entries come before the proxy's, and are not believed
    const spoof = await t.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': '127.0.0.1, 203.0.113.9' } });
    expect(spoof.statusCode).toBe(403);
  });

  it('are served to anyone with METRICS_TOKEN as a bearer, and the wrong token gets 401', async () => {
    t = await createTestApp({ METRICS_TOKEN: TOKEN, METRICS_ALLOWED_NETWORKS: '10.0.0.0/8' });
    const none = await t.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1' });
    expect(none.statusCode).toBe(401);
    const wrong = await t.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '203.0.113.9', headers: { authorization: `Bearer ${TOKEN}x` } });
    expect(wrong.statusCode).toBe(401);
    const right = await t.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '203.0.113.9', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(right.statusCode).toBe(200);
    const fromNetwork = await t.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '10.1.2.3' });
    expect(fromNetwork.statusCode).toBe(200);
  });

  it('with METRICS_PORT, are served on that port only', async () => {
    const port = await freePort();
    t = await createTestApp({ METRICS_PORT: String(port), METRICS_HOST: '127.0.0.1', METRICS_TOKEN: TOKEN });
    expect((await t.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1' })).statusCode).toBe(404);
    await t.listenMetrics();
    const anonymous = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(anonymous.status).toBe(401);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('threadline_webhook_backlog_events');
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
  });
});
