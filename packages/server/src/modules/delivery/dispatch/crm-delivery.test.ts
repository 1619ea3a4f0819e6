import { eq } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crmEventSchema } from '@threadline/contract';
import { bearer } from '../../../../test/app.ts';
import { accounts } from '../../../db/schema/index.ts';
import type { ReceivedRequest } from '../../../shared/net/test-receivers.ts';
import { VERSION } from '../../../shared/version.ts';
import { createCrmFixture, receiverPool, type CrmFixture } from '../crm-test-helpers.ts';

const headersOf = (r: ReceivedRequest) => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) if (typeof v === 'string') out[k] = v;
  return out;
};

describe('CRM delivery', () => {
  let f: CrmFixture;
  const receivers = receiverPool();
  const receiver = receivers.start;
  beforeAll(async () => {
    f = await createCrmFixture();
  });
  afterAll(async () => {
    await receivers.closeAll();
    await f.t.close();
  });

  it('delivers an inbox event signed after Standard Webhooks, verified by the standardwebhooks library', async () => {
    const crm = await receiver((_req, res) => res.writeHead(204).end());
    await f.setUrl(`${crm.url}/in`);
    const { messageId } = await f.recordMessage('Do you ship to Lisbon?');
    await f.drain();
    expect(crm.received).toHaveLength(1);
    const got = crm.received[0];
    if (!got) throw new Error('nothing received');
    const verified = new Webhook(await f.secret()).verify(got.body, headersOf(got));
    const event = crmEventSchema.parse(verified);
    expect(event.type).toBe('message.received');
    expect(got.headers['webhook-id']).toBe(event.id);
    expect(got.headers['user-agent']).toBe(`Threadline/${VERSION}`);
    expect(got.headers['content-type']).toBe('application/json');
    if (event.type !== 'message.received') throw new Error('wrong type');
    expect(event.data.message).toMatchObject({ id: messageId, text: 'Do you ship to Lisbon?' });
    const [row] = await f.deliveries();
    expect(row).toMatchObject({ status: 'succeeded', attemptCount: 1, lastStatusCode: 204 });
    expect((await f.t.crm.metrics.snapshot()).deliveriesSucceeded).toBeGreaterThan(0);
  });

  it('retries a failing answer with the same webhook-id and a fresh signature, then succeeds', async () => {
    let calls = 0;
    const crm = await receiver((_req, res) => {
      calls += 1;
      if (calls < 3) res.writeHead(500).end('database down');
      else res.writeHead(200).end('ok');
    });
    await f.setUrl(`${crm.url}/flaky`);
    await f.recordMessage();
    await f.drain();
    expect(crm.received).toHaveLength(1);
    const pending = (await f.deliveries()).at(-1);
    expect(pending).toMatchObject({ lastStatusCode: 500, lastError: 'The endpoint answered 500.' });
    expect(pending?.nextAttemptAt?.getTime()).toBeGreaterThan(Date.now());
    for (let i = 0; i < 2; i += 1) {
      await f.makeDue();
      await f.drain();
    }
    expect(crm.received).toHaveLength(3);
    const ids = new Set(crm.received.map((r) => r.headers['webhook-id']));
    expect(ids.size).toBe(1);
    const secret = await f.secret();
    for (const r of crm.received) expect(() => new Webhook(secret).verify(r.body, headersOf(r))).not.toThrow();
    const list = await f.t.app.inject({
      method: 'GET',
      url: `/api/v1/accounts/${f.accountId}/crm/deliveries?status=succeeded&limit=1`,
      headers: bearer(f.ownerToken),
    });
    const [listed] = list.json().deliveries;
    expect(listed.attempts.map((a: { status_code: number }) => a.status_code)).toEqual([500, 500, 200]);
    expect(listed.attempts[0].response_excerpt).toBe('database down');
  });

  it('gives up when the schedule is spent, and re-sends on retry and on recover', async () => {
    let healthy = false;
    const crm = await receiver((_req, res) => res.writeHead(healthy ? 200 : 503).end());
    await f.setUrl(`${crm.url}/down`);
    await f.recordMessage();
    for (let i = 0; i < 5; i += 1) {
      await f.makeDue();
      await f.drain();
    }
    const failed = (await f.deliveries()).filter((d) => d.status === 'failed');
    expect(failed).toHaveLength(1);
    expect(crm.received).toHaveLength(4);
    healthy = true;
    const failedId = failed[0]?.id ?? '';
    const retry = await f.t.app.inject({
      method: 'POST',
      url: `/api/v1/accounts/${f.accountId}/crm/deliveries/${failedId}/retry`,
      headers: bearer(f.ownerToken),
    });
    expect(retry.statusCode).toBe(200);
    expect(retry.json()).toMatchObject({ status: 'pending', attempt_count: 0 });
    await f.drain();
    expect(crm.received.at(-1)?.headers['webhook-id']).toBe(failedId);
    expect((await f.deliveries()).find((d) => d.id === failedId)?.status).toBe('succeeded');

    healthy = false;
    await f.recordMessage();
    await f.recordMessage();
    // the first round tries both; once the endpoint is failing, a round tries one (a probe): 2 × 4 attempts in all
    for (let i = 0; i < 10; i += 1) {
      await f.makeDue();
      await f.drain();
    }
    healthy = true;
    const recover = await f.t.app.inject({
      method: 'POST',
      url: `/api/v1/accounts/${f.accountId}/crm/recover`,
      headers: bearer(f.ownerToken),
      payload: { since: new Date(Date.now() - 60_000).toISOString() },
    });
    expect(recover.json()).toEqual({ requeued: 2 });
    await f.drain();
    expect((await f.deliveries()).filter((d) => d.status === 'failed')).toHaveLength(0);
  });

  it('honours Retry-After', async () => {
    const crm = await receiver((_req, res) => res.writeHead(429, { 'retry-after': '3600' }).end());
    await f.setUrl(`${crm.url}/busy`);
    await f.recordMessage();
    await f.drain();
    const pending = (await f.deliveries()).at(-1);
    expect(pending?.nextAttemptAt?.getTime()).toBeGreaterThan(Date.now() + 3_500_000);
    // the endpoint asked for an hour: the deliveries written meanwhile are not sent to it before then either
    const [endpoint] = await f.db.select({ probeAt: accounts.crmProbeAt }).from(accounts).where(eq(accounts.id, f.accountId));
    expect(endpoint?.probeAt?.getTime()).toBeGreaterThan(Date.now() + 3_500_000);
    const before = crm.received.length;
    await f.recordMessage();
    await f.drain();
    expect(crm.received.length).toBe(before);
  });

  it('does not follow a redirect, even to an address it would refuse', async () => {
    const crm = await receiver((_req, res) => res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data?token=x' }).end());
    await f.setUrl(`${crm.url}/moved`);
    await f.recordMessage();
    await f.drain();
    const pending = (await f.deliveries()).at(-1);
    expect(pending?.lastStatusCode).toBe(302);
    expect(pending?.lastError).toContain('redirects are not followed');
    expect(pending?.lastError).not.toContain('token=x');
    expect(pending?.status).toBe('pending');
    expect(crm.received.filter((r) => r.headers['webhook-id'] === pending?.id)).toHaveLength(1);
  });

  it('gives up on a receiver that hangs, at the attempt deadline', async () => {
    const crm = await receiver(() => undefined);
    await f.setUrl(`${crm.url}/hang`);
    await f.recordMessage();
    await f.drain();
    const pending = (await f.deliveries()).at(-1);
    expect(pending?.lastError).toMatch(/did not answer completely within 2500 ms/);
  });

  it('gives up on a receiver that answers too slowly, body included', async () => {
    const crm = await receiver((_req, res) => {
      res.writeHead(200);
      res.write('partial');
      setTimeout(() => res.end(' rest'), 6000).unref();
    });
    await f.setUrl(`${crm.url}/slow`);
    await f.recordMessage();
    await f.drain();
    const pending = (await f.deliveries()).at(-1);
    expect(pending?.lastError).toMatch(/within 2500 ms/);
  });

  it('retries when the receiver closes the connection', async () => {
    const crm = await receiver((req) => req.socket.destroy());
    await f.setUrl(`${crm.url}/close`);
    await f.recordMessage();
    await f.drain();
    const pending = (await f.deliveries()).at(-1);
    expect(pending?.lastError).toMatch(/closed the connection/);
  });

  it('refuses on delivery a URL that points at a forbidden address, saying why', async () => {
    await f.setUrl(null);
    await f.db.update(accounts).set({ crmWebhookUrl: 'http://10.1.2.3/hook' }).where(eq(accounts.id, f.accountId));
    await f.recordMessage();
    await f.drain();
    const pending = (await f.deliveries()).at(-1);
    expect(pending?.lastError).toMatch(/10\.1\.2\.3 is a private-network address; set CRM_ALLOWED_NETWORKS/);
  });

  it('disables the endpoint on 410, and sends what is pending when it is set again', async () => {
    let gone = true;
    const crm = await receiver((_req, res) => res.writeHead(gone ? 410 : 200).end());
    await f.setUrl(null);
    await f.setUrl(`${crm.url}/gone`);
    await f.recordMessage();
    await f.drain();
    const status = await f.t.app.inject({ method: 'GET', url: `/api/v1/accounts/${f.accountId}/crm`, headers: bearer(f.ownerToken) });
    expect(status.json().crm).toMatchObject({ enabled: false });
    expect(status.json().crm.disabled_reason).toContain('410 Gone');
    await f.recordMessage();
    expect((await f.deliveries()).filter((d) => d.status === 'pending')).toHaveLength(1);
    gone = false;
    await f.setUrl(`${crm.url}/gone`);
    await f.drain();
    expect((await f.deliveries()).filter((d) => d.status === 'pending')).toHaveLength(0);
    expect(crm.received).toHaveLength(2);
  });

  it('sends pending deliveries to the new URL when the URL changes, and cancels them when it is cleared', async () => {
    const old = await receiver((_req, res) => res.writeHead(500).end());
    const fresh = await receiver((_req, res) => res.writeHead(200).end());
    await f.setUrl(`${old.url}/old`);
    await f.recordMessage();
    await f.drain();
    await f.setUrl(`${fresh.url}/new`);
    await f.drain();
    expect(fresh.received).toHaveLength(1);
    expect(fresh.received[0]?.headers['webhook-id']).toBe(old.received[0]?.headers['webhook-id']);

    await f.setUrl(`${old.url}/old`);
    await f.recordMessage();
    await f.drain();
    await f.setUrl(null);
    await f.drain();
    const cancelled = (await f.deliveries()).filter((d) => d.status === 'cancelled');
    expect(cancelled.length).toBeGreaterThan(0);
    expect(cancelled.at(-1)?.lastError).toContain('URL was removed');
  });

  it('signs with both secrets during a rotation, each verifiable on its own', async () => {
    const crm = await receiver((_req, res) => res.writeHead(200).end());
    await f.setUrl(`${crm.url}/rotate`);
    const previous = await f.secret();
    await f.t.app.inject({ method: 'POST', url: `/api/v1/accounts/${f.accountId}/webhook-secret/rotate`, headers: bearer(f.ownerToken) });
    const current = await f.secret();
    await f.recordMessage();
    await f.drain();
    const got = crm.received.at(-1);
    if (!got) throw new Error('nothing received');
    expect(headersOf(got)['webhook-signature']?.split(' ')).toHaveLength(2);
    expect(() => new Webhook(previous).verify(got.body, headersOf(got))).not.toThrow();
    expect(() => new Webhook(current).verify(got.body, headersOf(got))).not.toThrow();
  });

  it('pages through the delivery log with a cursor and filters by event type', async () => {
    const page1 = await f.t.app.inject({ method: 'GET', url: `/api/v1/accounts/${f.accountId}/crm/deliveries?limit=2`, headers: bearer(f.ownerToken) });
    const body1 = page1.json();
    expect(body1.deliveries).toHaveLength(2);
    expect(body1.next_cursor).toEqual(expect.any(String));
    const page2 = await f.t.app.inject({
      method: 'GET',
      url: `/api/v1/accounts/${f.accountId}/crm/deliveries?limit=2&cursor=${body1.next_cursor}`,
      headers: bearer(f.ownerToken),
    });
    const ids1 = body1.deliveries.map((d: { id: string }) => d.id);
    for (const d of page2.json().deliveries) expect(ids1).not.toContain(d.id);
    const pings = await f.t.app.inject({ method: 'GET', url: `/api/v1/accounts/${f.accountId}/crm/deliveries?event_type=ping`, headers: bearer(f.ownerToken) });
    expect(pings.json().deliveries).toEqual([]);
    const viewer = await f.t.app.inject({ method: 'GET', url: `/api/v1/accounts/${f.accountId}/crm/deliveries`, headers: bearer(f.viewerToken) });
    expect(viewer.statusCode).toBe(403);
  });
});
