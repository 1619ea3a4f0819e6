import { describe, expect, it } from 'vitest';
import type { Database } from '../../db/client.ts';
import type { Logger } from '../../shared/logger.ts';
import type { InboxService } from '../inbox/inbox.service.ts';
import { createRealtimeHub, type RealtimeFrame } from './realtime-hub.ts';
import { REALTIME_CHANNEL, type RealtimeLog, type RealtimeRow } from './realtime-log.ts';

const ACCOUNT = '00000000-0000-4000-8000-000000000001';

function row(id: number): RealtimeRow {
  return { id, accountId: ACCOUNT, type: 'conversation.updated', payload: { conversation_id: null, occurred_at: '2026-11-23T00:00:00.000Z' }, createdAt: new Date() };
}
const notification = (ids: number[]) => JSON.stringify({ a: ACCOUNT, e: ids.map((id) => [id, 'conversation.updated', row(id).payload]) });

/** A hub over a stand-in listening connection and log: the test plays PostgreSQL's notifications and reconnects. */
async function hubWorld() {
  let onPayload: (payload: string) => void = () => undefined;
  let onReconnect: () => void = () => undefined;
  let logRows: RealtimeRow[] = [];
  const database = {
    listen: async (channel: string, payload: (p: string) => void, reconnect?: () => void) => {
      // the hub also listens for access changes (ACCESS_CHANNEL): not played here
      if (channel !== REALTIME_CHANNEL) return async () => undefined;
      onPayload = payload;
      onReconnect = reconnect ?? (() => undefined);
      return async () => undefined;
    },
  } as unknown as Database;
  const log = {
    latestId: async () => 0,
    since: async (_account: string, afterId: number) => logRows.filter((r) => r.id > afterId),
    byIds: async (ids: number[]) => logRows.filter((r) => ids.includes(r.id)),
  } as unknown as RealtimeLog;
  const inbox = { presentMany: async () => ({ messages: new Map(), conversations: new Map() }) } as unknown as InboxService;
  const logger = { warn: () => undefined } as unknown as Logger;
  const hub = createRealtimeHub({ database, log, inbox, logger });
  await hub.start();
  const received: number[] = [];
  hub.add({ accountId: ACCOUNT, userId: '00000000-0000-4000-8000-000000000001', sessionKey: 's', recheck: () => undefined, evict: () => undefined, send: (frames: readonly RealtimeFrame[]) => received.push(...frames.map((f) => f.id)), end: () => undefined });
  return {
    hub,
    received,
    notify: (ids: number[]) => onPayload(notification(ids)),
    reconnect: (rows: RealtimeRow[]) => {
      logRows = rows;
      onReconnect();
    },
  };
}

describe('realtime hub', () => {
  it('sends each event once when a catch-up after a reconnect overlaps what was, or will be, announced', async () => {
    const w = await hubWorld();
    w.notify([1, 2]);
    await expect.poll(() => w.received).toEqual([1, 2]);
    // While the listening connection was down, 3 was committed; 2 was already sent, and 3 is announced again after the
    // connection came back (committed after LISTEN resumed, before the catch-up's read).
    w.reconnect([row(2), row(3)]);
    await expect.poll(() => w.received).toEqual([1, 2, 3]);
    w.notify([3, 4]);
    await expect.poll(() => w.received).toEqual([1, 2, 3, 4]);
    await new Promise((r) => setTimeout(r, 50)); // nothing late either
    expect(w.received).toEqual([1, 2, 3, 4]);
    await w.hub.stop();
  });

  it('keeps sending new events after its memory of sent ids rolls over', async () => {
    const w = await hubWorld();
    const ids = Array.from({ length: 12_000 }, (_, i) => i + 1);
    for (let i = 0; i < ids.length; i += 25) w.notify(ids.slice(i, i + 25));
    await expect.poll(() => w.received.length).toBe(12_000);
    w.notify([12_001, 11_999]); // 11,999 was sent a moment ago: remembered; 12,001 is new
    await expect.poll(() => w.received.at(-1)).toBe(12_001);
    await new Promise((r) => setTimeout(r, 50));
    expect(w.received).toHaveLength(12_001);
    expect(new Set(w.received).size).toBe(12_001);
    await w.hub.stop();
  });
});
