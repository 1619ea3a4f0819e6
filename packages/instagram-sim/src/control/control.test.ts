import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClock } from '../clock.ts';
import { graph, startSim, world } from '../../test/harness.ts';
import type { Harness } from '../../test/harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await startSim();
});
afterEach(async () => h.close());

describe('control API', () => {
  it('moves the simulated clock forward by days, and freezes it', async () => {
    const before = await h.client.clock();
    const after = await h.client.advanceClock({ advanceDays: 2, advanceHours: 1 });
    expect(after.now - before.now).toBeGreaterThanOrEqual(49 * 3_600_000);
    const frozen = await h.client.freezeClock();
    expect(frozen.frozen).toBe(true);
    expect((await h.client.clock()).now).toBe(frozen.now);
    expect((await h.client.setClock({ set: frozen.now + 5000 })).now).toBe(frozen.now + 5000);
    expect((await h.client.unfreezeClock()).frozen).toBe(false);
  });

  it('resets everything: world, variants, faults and clock', async () => {
    await world(h);
    await h.client.setVariants({ tokenResponseShape: 'flat' });
    await h.client.injectFault({ type: 'status', times: 0 });
    await h.client.advanceClock({ advanceDays: 3 });
    await h.client.reset();
    const state = await h.client.state();
    expect(state.apps).toEqual([]);
    expect(state.faults).toEqual([]);
    expect(state.variants.tokenResponseShape).toBe('data');
    expect(Math.abs((await h.client.clock()).now - Date.now())).toBeLessThan(60_000);
  });

  it('answers control errors in the { error: { code, message } } shape', async () => {
    await expect(h.client.createAccount({ igUserId: 'nobody' })).rejects.toMatchObject({ status: 404, code: 'sim.ig_user_not_found' });
    await expect(h.client.sendText('1', '2', 'x')).rejects.toMatchObject({ status: 404, code: 'sim.customer_not_found' });
    const res = await graph(h.url, '/_sim/nothing');
    expect(res.body).toEqual({ error: { code: 'sim.not_found', message: expect.any(String) } });
  });

  it('refuses duplicate ids', async () => {
    await h.client.createApp({ id: '555' });
    await expect(h.client.createApp({ id: '555' })).rejects.toMatchObject({ status: 409 });
  });

  it('shows conversations with their messages, newest first', async () => {
    const w = await world(h);
    await h.client.sendText(w.customer.igsid, w.account.igId, 'one');
    await h.client.advanceClock({ advanceMs: 10 });
    await h.client.sendText(w.customer.igsid, w.account.igId, 'two');
    const [conversation] = await h.client.conversations(w.account.igId);
    expect(conversation?.messages.map((m) => m.text)).toEqual(['two', 'one']);
  });

  it('answers Graph-shaped 100/33 for an unknown platform path', async () => {
    const res = await graph(h.url, '/v25.0/me/unknown/edge');
    expect(res.body).toMatchObject({ error: { code: 100, error_subcode: 33 } });
  });
});

describe('state file', () => {
  it('writes the state on close and loads it on the next start', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sim-')), 'state.json');
    const first = await startSim({ stateFile: file });
    const app = await first.client.createApp({ name: 'Persisted' });
    await first.close();
    expect(JSON.parse(readFileSync(file, 'utf8')).apps[0].name).toBe('Persisted');
    const second = await startSim({ stateFile: file });
    expect((await second.client.state()).apps.map((a) => a.id)).toEqual([app.id]);
    await second.close();
  });
});

describe('clock', () => {
  it('runs with real time plus an offset, and holds still while frozen', () => {
    let real = 1_000;
    const clock = createClock({ start: 50_000, realNow: () => real });
    real += 10;
    expect(clock.now()).toBe(50_010);
    clock.advance(1_000);
    expect(clock.now()).toBe(51_010);
    clock.freeze();
    real += 500;
    expect(clock.now()).toBe(51_010);
    clock.unfreeze();
    real += 5;
    expect(clock.now()).toBe(51_015);
  });
});
