import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../app.ts';
import { createSimWorld, type SimWorld } from '../sim-world.ts';
import { jobs } from '../../src/jobs/registry.ts';

describe('search: at least 3 characters (or an exact username), rate limited per user', () => {
  let w: SimWorld;
  beforeAll(async () => {
    w = await createSimWorld({ SEARCH_RATE_PER_MINUTE: '6' });
    for (const [username, name, text] of [
      ['al', 'Al', 'hello'],
      ['alan_t', 'Alan Turing', 'al dente please'],
    ] as const) {
      const customer = await w.control.createCustomer({ username, name });
      await w.control.sendText(customer.igsid, w.igId, text);
    }
    await w.t.services.webhookProcessor.runUntilIdle();
    await w.t.queue.runPending(jobs.contactsFetchProfile);
  });
  afterAll(async () => w.close());

  const search = (token: string, q: string) =>
    w.t.app.inject({ method: 'GET', url: '/api/v1/ui/conversations', query: { q }, headers: bearer(token) });

  it('a term under 3 characters matches a whole username only, not names or text', async () => {
    const short = await search(w.tokens.owner, 'al');
    expect(short.statusCode).toBe(200);
    const found = short.json<{ conversations: { contact: { username: string | null } }[] }>().conversations.map((c) => c.contact.username);
    expect(found).toEqual(['al']);
    const long = await search(w.tokens.owner, 'alan');
    expect(long.json<{ conversations: unknown[] }>().conversations).toHaveLength(1);
  });

  it('refuses searches past the per-user rate with 429, and counts each user apart', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 6; i += 1) codes.push((await search(w.tokens.viewer, `term${i}`)).statusCode);
    expect(codes.every((c) => c === 200)).toBe(true);
    const refused = await search(w.tokens.viewer, 'one more');
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.code).toBe('inbox.search_rate_limited');
    expect(refused.headers['retry-after']).toBeDefined();
    // listing without a search is not counted, and another user has their own count
    expect((await w.t.app.inject({ method: 'GET', url: '/api/v1/ui/conversations', headers: bearer(w.tokens.viewer) })).statusCode).toBe(200);
    expect((await search(w.tokens.admin, 'anything')).statusCode).toBe(200);
  });
});
