import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, login, type TestApp } from '../app.ts';
import { createAccount, createUser } from '../factories.ts';
import { openStream, until } from '../sse.ts';

describe('live streams are capped per session and per user; the oldest is closed with a message', () => {
  let t: TestApp;
  let base = '';
  beforeAll(async () => {
    t = await createTestApp({ REALTIME_MAX_STREAMS_PER_SESSION: '2', REALTIME_MAX_STREAMS_PER_USER: '3', WORKERS_ENABLED: 'false' });
    await t.startWorkers();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const user = await createUser(t.database.db, { username: 'tabby', password: 'tabby-password' });
    await createAccount(t.database.db, { members: [{ userId: user.id, role: 'viewer', isPrimary: true }] });
  });
  afterAll(async () => t.close());

  async function opened(token: string) {
    const s = openStream(base, token);
    await until(() => s.state.opened, 'a stream to open');
    return s;
  }

  it('a third stream of one session closes the first, which is told why', async () => {
    const { token } = await login(t, 'tabby', 'tabby-password');
    const first = await opened(token);
    const second = await opened(token);
    const third = await opened(token);
    await until(() => first.state.endedAt !== null, 'the oldest stream to close');
    expect(first.state.events).toContain('stream_closed');
    expect(second.state.endedAt).toBeNull();
    expect(third.state.endedAt).toBeNull();
    await Promise.all([second.close(), third.close()]);
  });

  it('streams of several sessions of one user are capped together', async () => {
    const streams: Awaited<ReturnType<typeof opened>>[] = [];
    for (let i = 0; i < 4; i += 1) streams.push(await opened((await login(t, 'tabby', 'tabby-password')).token));
    await until(() => streams[0]?.state.endedAt !== null, 'the user’s oldest stream to close');
    expect(streams[0]?.state.events).toContain('stream_closed');
    expect(streams.slice(1).every((s) => s.state.endedAt === null)).toBe(true);
    await Promise.all(streams.map((s) => s.close()));
  });
});
