import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type Threadline } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { sessions } from '../../src/db/schema/index.ts';
import { sha256Hex } from '../../src/shared/crypto/random.ts';
import { bearer, createTestApp, login, TEST_ORIGIN, TEST_SESSION_SECRET, type TestApp } from '../app.ts';
import { createAccount, createUser } from '../factories.ts';
import { openStream, until } from '../sse.ts';

// Two app instances on one database, as two processes behind a load balancer: a change made through one ends the
// streams held by the other within a second (the heartbeat is a minute here, so only the announcement can do it).
describe('live streams end on every process when access ends', () => {
  let a: TestApp;
  let b: Threadline;
  let base = '';
  let accountId = '';
  let owner = '';
  let admin = '';
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-b-'));

  beforeAll(async () => {
    const env = { WORKERS_ENABLED: 'false', REALTIME_HEARTBEAT_SECONDS: '60' };
    a = await createTestApp(env);
    const config = loadConfig({ SESSION_SECRET: TEST_SESSION_SECRET, PUBLIC_BASE_URL: TEST_ORIGIN, DATA_DIR: dataDir, ...env });
    b = await buildApp(config, { database: a.database, logger: pino({ level: 'silent' }) });
    await a.startWorkers();
    await b.startWorkers();
    await b.app.listen({ port: 0, host: '127.0.0.1' });
    const address = b.app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const db = a.database.db;
    const ownerUser = await createUser(db, { username: 'owner', password: 'owner-password' });
    await createUser(db, { username: 'root', password: 'root-password', isAdmin: true });
    accountId = (await createAccount(db, { username: 'shared_shop', members: [{ userId: ownerUser.id, role: 'owner', isPrimary: true }] })).id;
    owner = (await login(a, 'owner', 'owner-password')).token;
    admin = (await login(a, 'root', 'root-password')).token;
  });
  afterAll(async () => {
    await b.close();
    await a.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** A new viewer of the account, signed in, with a stream open on process B. */
  async function viewerStream(name: string) {
    const user = await createUser(a.database.db, { username: name, password: `${name}-password` });
    await a.app.inject({ method: 'POST', url: `/api/v1/accounts/${accountId}/members`, headers: bearer(owner), payload: { username: name, role: 'viewer' } });
    const session = await login(a, name, `${name}-password`);
    const stream = openStream(base, session.token);
    await until(() => stream.state.opened, `${name}'s stream to open`);
    return { user, token: session.token, stream };
  }

  async function endsWithinASecond(stream: ReturnType<typeof openStream>, change: () => Promise<unknown>) {
    const at = Date.now();
    await change();
    await until(() => stream.state.endedAt !== null, 'the stream to end', 3_000);
    expect((stream.state.endedAt ?? Infinity) - at).toBeLessThan(1_000);
    expect(stream.state.events).toContain('access_ended');
  }

  it('a member removed through one process loses their stream on the other', async () => {
    const v = await viewerStream('removed_viewer');
    await endsWithinASecond(v.stream, () => a.app.inject({ method: 'DELETE', url: `/api/v1/accounts/${accountId}/members/${v.user.id}`, headers: bearer(owner) }));
  });

  it('a disabled user loses their stream', async () => {
    const v = await viewerStream('disabled_viewer');
    await endsWithinASecond(v.stream, () => a.app.inject({ method: 'PATCH', url: `/api/v1/admin/users/${v.user.id}`, headers: bearer(admin), payload: { disabled: true } }));
  });

  it('signing out ends the session’s stream', async () => {
    const v = await viewerStream('leaving_viewer');
    await endsWithinASecond(v.stream, () => a.app.inject({ method: 'DELETE', url: '/api/v1/ui/session', headers: bearer(v.token) }));
  });

  it('a stream ends when its session expires', async () => {
    const v = await viewerStream('expiring_viewer');
    await v.stream.close();
    await a.database.db.update(sessions).set({ expiresAt: new Date(Date.now() + 800) }).where(eq(sessions.tokenHash, sha256Hex(v.token)));
    const stream = openStream(base, v.token);
    await until(() => stream.state.opened, 'the stream to open');
    await until(() => stream.state.endedAt !== null, 'the stream to end at the session’s expiry', 3_000);
    expect(stream.state.events).toContain('access_ended');
  });

  it('a role change that keeps read access keeps the stream open', async () => {
    const v = await viewerStream('promoted_viewer');
    await a.app.inject({ method: 'PATCH', url: `/api/v1/accounts/${accountId}/members/${v.user.id}`, headers: bearer(owner), payload: { role: 'admin' } });
    await new Promise((r) => setTimeout(r, 500));
    expect(v.stream.state.endedAt).toBeNull();
    await v.stream.close();
  });
});
