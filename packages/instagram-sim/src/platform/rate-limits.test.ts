import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { graph, startSim, world } from '../../test/harness.ts';
import type { Harness } from '../../test/harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await startSim();
});
afterEach(async () => h.close());

async function thread() {
  const w = await world(h);
  await h.client.sendText(w.customer.igsid, w.account.igId, 'hi');
  await h.client.freezeClock();
  const send = (message: unknown) =>
    graph(h.url, '/v25.0/me/messages', { method: 'POST', token: w.token, json: { recipient: { id: w.customer.igsid }, message } });
  return { ...w, send };
}

describe('Send API rate limits (per account, per second)', () => {
  it('allows 100 text calls in a second and throttles the 101st with 613/2534040', async () => {
    const t = await thread();
    const statuses: number[] = [];
    for (let i = 0; i < 100; i += 1) statuses.push((await t.send({ text: `n${i}` })).status);
    expect(statuses.every((s) => s === 200)).toBe(true);
    const throttled = await t.send({ text: 'one too many' });
    expect(throttled.status).toBe(400);
    expect(throttled.body).toMatchObject({ error: { code: 613, error_subcode: 2534040, type: 'OAuthException', is_transient: true } });
    await h.client.advanceClock({ advanceSeconds: 1 });
    expect((await t.send({ text: 'next second' })).status).toBe(200);
  });

  it('allows only 10 audio or video calls a second, apart from the text budget', async () => {
    const t = await thread();
    const video = { attachment: { type: 'video', payload: { url: 'https://cdn.test/v.mp4' } } };
    for (let i = 0; i < 10; i += 1) expect((await t.send(video)).status).toBe(200);
    expect((await t.send(video)).body).toMatchObject({ error: { code: 613 } });
    expect((await t.send({ text: 'text still fine' })).status).toBe(200);
  });

  it.each([
    ['appRateLimit', 4],
    ['userRateLimit', 17],
    ['pageRateLimit', 32],
    ['bucRateLimit', 80002],
  ] as const)('answers %s (code %i) when that throttling variant is chosen', async (variant, code) => {
    const t = await thread();
    await h.client.setVariants({ rateLimitError: variant, rateLimits: { textPerSecond: 1 } });
    await t.send({ text: 'a' });
    expect((await t.send({ text: 'b' })).body).toMatchObject({ error: { code } });
  });

  it('reports usage in X-App-Usage and X-Business-Use-Case-Usage', async () => {
    const t = await thread();
    await h.client.setVariants({ rateLimits: { textPerSecond: 4 } });
    const res = await t.send({ text: 'a' });
    expect(JSON.parse(res.headers.get('x-app-usage') ?? '')).toEqual({ call_count: 25, total_cputime: 0, total_time: 25 });
    expect(JSON.parse(res.headers.get('x-business-use-case-usage') ?? '')).toEqual({
      [t.account.igId]: [{ type: 'instagram', call_count: 25, total_cputime: 0, total_time: 25, estimated_time_to_regain_access: 0 }],
    });
  });
});
