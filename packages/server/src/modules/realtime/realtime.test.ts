import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, login } from '../../../test/app.ts';
import { createAccount, createUser } from '../../../test/factories.ts';
import { envelope, inbound, META_ENV, mid, postSigned } from '../../../test/meta.ts';
import { createSimWorld, type SimWorld } from '../../../test/sim-world.ts';
import { sql } from 'drizzle-orm';
import { recordAll, type InboxEvent } from '../../events/inbox-events.ts';
import { createUnitsOfWork } from '../../db/unit-of-work.ts';
import { parseRealtimeNotification, REALTIME_CHANNEL } from './realtime-log.ts';

type SseEvent = { id: number; event: string; data: { type: string; data: { message?: { text: string | null; status: string } } } };

/** A minimal SSE reader over fetch: collects parsed events until stopped. */
function openStream(url: string, token: string, lastEventId?: number) {
  const controller = new AbortController();
  const events: SseEvent[] = [];
  let ended = false;
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'text/event-stream' };
  if (lastEventId !== undefined) headers['last-event-id'] = String(lastEventId);
  const done = fetch(url, { headers, signal: controller.signal })
    .then(async (res) => {
      if (!res.body) return;
      const reader = res.body.getReader();
      let buffer = '';
      for (;;) {
        const { value, done: finished } = await reader.read();
        if (finished) break;
        buffer += new TextDecoder().decode(value);
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const fields = Object.fromEntries(block.split('\n').filter((l) => !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
          if (fields.data) events.push({ id: Number(fields.id), event: String(fields.event), data: JSON.parse(String(fields.data)) });
        }
      }
    })
    .catch(() => undefined)
    .finally(() => {
      ended = true;
    });
  return {
    events,
    isEnded: () => ended,
    close: async () => {
      controller.abort();
      await done;
    },
  };
}

async function until(check: () => boolean, what: string, ms = 10_000) {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('live updates over server-sent events', () => {
  let w: SimWorld;
  let base: string;
  beforeAll(async () => {
    w = await createSimWorld({ REALTIME_HEARTBEAT_SECONDS: '1' });
    const address = w.t.app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => w.close());

  // Only PostgreSQL runs two writing transactions at once (PGlite has one connection): ids are taken at insert, so a
  // transaction that took a lower id can commit after one that took a higher id.
  it.skipIf(!process.env.TEST_DATABASE_URL)('delivers an event that commits after a higher-numbered one', async () => {
    const stream = openStream(`${base}/api/v1/ui/events`, w.tokens.viewer);
    await new Promise((r) => setTimeout(r, 100));
    const sink = w.t.services.realtimeLog.sink;
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    let recorded: () => void = () => undefined;
    const earlierRecorded = new Promise<void>((r) => (recorded = r));
    const units = createUnitsOfWork(w.t.database.db, [sink]);
    const earlier = units.run(async (uow) => {
      await recordAll(uow, [{ type: 'account.reauth_required', accountId: w.accountId, occurredAt: new Date() }]);
      recorded();
      await held;
    });
    await earlierRecorded;
    await units.run((uow) => recordAll(uow, [{ type: 'account.connected', accountId: w.accountId, occurredAt: new Date() }]));
    await until(() => stream.events.some((e) => e.event === 'account.connected'), 'the later id');
    release();
    await earlier;
    await until(() => stream.events.some((e) => e.event === 'account.reauth_required'), 'the earlier id, committed last');
    const id = (type: string) => stream.events.find((e) => e.event === type)?.id ?? 0;
    expect(id('account.reauth_required')).toBeLessThan(id('account.connected'));
    await stream.close();
  });

  it('streams a new customer message, and resumes after a reconnect without losing or repeating anything', async () => {
    const stream = openStream(`${base}/api/v1/ui/events`, w.tokens.viewer);
    await until(() => w.t.services.realtimeLog !== undefined, 'stream');
    await new Promise((r) => setTimeout(r, 100));
    await w.customerWrites('Hello live');
    await until(() => stream.events.some((e) => e.event === 'message.received'), 'message.received');
    const received = stream.events.find((e) => e.event === 'message.received');
    expect(received?.data.data.message?.text).toBe('Hello live');
    const lastSeen = Math.max(...stream.events.map((e) => e.id));
    await stream.close();

    await w.customerWrites('While you were away');
    await w.customerWrites('And again');
    const resumed = openStream(`${base}/api/v1/ui/events`, w.tokens.viewer, lastSeen);
    await until(() => resumed.events.filter((e) => e.event === 'message.received').length >= 2, 'missed messages');
    const texts = resumed.events.filter((e) => e.event === 'message.received').map((e) => e.data.data.message?.text);
    expect(texts).toEqual(['While you were away', 'And again']);
    expect(resumed.events.every((e) => e.id > lastSeen)).toBe(true);
    const ids = resumed.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    await resumed.close();
  });

  it('announces a large transaction in notifications of 25 rows that carry the rows, all streamed in order', async () => {
    const heard: string[] = [];
    const unlisten = await w.t.database.listen(REALTIME_CHANNEL, (payload) => heard.push(payload));
    const stream = openStream(`${base}/api/v1/ui/events`, w.tokens.viewer);
    await new Promise((r) => setTimeout(r, 100));
    const events: InboxEvent[] = Array.from({ length: 60 }, (_, i) => ({
      type: i % 2 === 0 ? 'account.reauth_required' : 'account.connected',
      accountId: w.accountId,
      occurredAt: new Date(1_700_000_000_000 + i),
    }));
    await createUnitsOfWork(w.t.database.db, [w.t.services.realtimeLog.sink]).run((uow) => recordAll(uow, events));
    await until(() => heard.length >= 3 && stream.events.length >= 60, 'three notifications and sixty events');
    await unlisten();
    const notes = heard.map(parseRealtimeNotification);
    expect(notes.map((n) => n?.rows?.length)).toEqual([25, 25, 10]);
    expect(Math.max(...heard.map((h) => Buffer.byteLength(h)))).toBeLessThan(8000);
    const announced = notes.flatMap((n) => n?.rows ?? []);
    expect(announced.map((r) => r.payload.occurred_at)).toEqual(events.map((e) => e.occurredAt.toISOString()));
    expect(stream.events.map((e) => e.id)).toEqual(announced.map((r) => r.id));
    expect(stream.events.map((e) => e.event)).toEqual(events.map((e) => e.type));
    await stream.close();
  });

  it('streams an event announced by id only (a process of an earlier version), read from the log', async () => {
    const stream = openStream(`${base}/api/v1/ui/events`, w.tokens.viewer);
    await new Promise((r) => setTimeout(r, 100));
    await w.t.database.db.execute(sql`
      with stored as (
        insert into realtime_events (account_id, type, payload)
        values (${w.accountId}, 'account.disconnected', ${JSON.stringify({ conversation_id: null, message_id: null, occurred_at: '2026-01-02T03:04:05.000Z' })}::jsonb)
        returning id, account_id)
      select pg_notify(${REALTIME_CHANNEL}, account_id::text || ':' || id::text) from stored`);
    await until(() => stream.events.some((e) => e.event === 'account.disconnected'), 'the event announced by id');
    await stream.close();
  });

  it('a client that disconnects mid-stream gets nothing more, and the server carries on', async () => {
    const stream = openStream(`${base}/api/v1/ui/events`, w.tokens.viewer);
    await new Promise((r) => setTimeout(r, 200));
    await stream.close();
    await w.customerWrites('nobody listening');
    await new Promise((r) => setTimeout(r, 200));
    expect(stream.events.filter((e) => e.data.data.message?.text === 'nobody listening')).toEqual([]);
  });

  it('ends the stream when the session is logged out', async () => {
    const { token } = await fetch(`${base}/api/v1/ui/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'viewer', password: 'viewer-password' }),
    }).then((r) => r.json() as Promise<{ token: string }>);
    const stream = openStream(`${base}/api/v1/ui/events`, token);
    await new Promise((r) => setTimeout(r, 200));
    await fetch(`${base}/api/v1/ui/session`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    await until(() => stream.isEnded(), 'the stream to end', 5_000);
    await stream.close();
  });

  it('ends a resumed stream whose replay cannot be read, and the next resume works', async () => {
    const since = vi.spyOn(w.t.services.realtimeLog, 'since').mockRejectedValueOnce(new Error('database unavailable'));
    const failed = openStream(`${base}/api/v1/ui/events`, w.tokens.viewer, 1);
    await until(() => failed.isEnded(), 'the stream to end', 5_000);
    expect(since).toHaveBeenCalledTimes(1);
    since.mockRestore();
    const resumed = openStream(`${base}/api/v1/ui/events`, w.tokens.viewer, 1);
    await until(() => resumed.events.length > 0, 'the replay');
    expect(resumed.events.every((e) => e.id > 1)).toBe(true);
    await resumed.close();
  });

  it('refuses a stream without a session', async () => {
    expect((await fetch(`${base}/api/v1/ui/events`)).status).toBe(401);
  });
});

describe('parseRealtimeNotification', () => {
  const account = '4a0e6f0c-8d3e-4c55-9d7e-2f6f4f3b1a11';
  it('reads the rows a notification carries', () => {
    const text = JSON.stringify({ a: account, e: [[7, 'message.received', { message_id: 'm', conversation_id: 'c', occurred_at: 't' }]] });
    expect(parseRealtimeNotification(text)).toEqual({
      accountId: account,
      ids: [7],
      rows: [{ id: 7, accountId: account, type: 'message.received', payload: { message_id: 'm', conversation_id: 'c', occurred_at: 't' } }],
    });
  });
  it('reads the ids of the earlier form, whose rows are then read from the log', () => {
    expect(parseRealtimeNotification(`${account}:3,4`)).toEqual({ accountId: account, ids: [3, 4], rows: null });
  });
  it('ignores anything else', () => {
    for (const text of ['', '{', '{"a":1,"e":[]}', `{"a":"${account}","e":[]}`, `{"a":"${account}","e":[[0,"x",{}]]}`, `{"a":"${account}","e":[[1,"x",[]]]}`, `${account}:`, `${account}:x,-1`]) {
      expect(parseRealtimeNotification(text)).toBeNull();
    }
  });
});

describe('live updates across processes', () => {
  it('delivers a message ingested by one Threadline process to a stream served by another', async () => {
    const a = await createTestApp(META_ENV);
    const b = await createTestApp(META_ENV, { database: a.database });
    try {
      await a.startWorkers();
      await b.startWorkers();
      await b.app.listen({ port: 0, host: '127.0.0.1' });
      const address = b.app.server.address();
      const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      const user = await createUser(a.database.db, { username: 'watcher', password: 'watcher-password' });
      const IG = '17841400000077777';
      await createAccount(a.database.db, { igUserId: IG, members: [{ userId: user.id, role: 'viewer', isPrimary: true }] });
      const { token } = await login(b, 'watcher', 'watcher-password');
      const stream = openStream(`${base}/api/v1/ui/events`, token);
      await new Promise((r) => setTimeout(r, 300));
      await postSigned(a, envelope(IG, [inbound(IG, '4242', Date.now(), { mid: mid(), text: 'via process A' })]));
      await a.services.webhookProcessor.runUntilIdle();
      await until(() => stream.events.some((e) => e.data.data.message?.text === 'via process A'), 'the event on process B');
      await stream.close();
    } finally {
      await b.app.close();
      await b.services.webhookProcessor.stop();
      await a.close();
    }
  });
});
