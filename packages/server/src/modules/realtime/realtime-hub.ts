import { createRecentIds, type RealtimeEvent } from '@threadline/contract';
import type { Database } from '../../db/client.ts';
import { isConnectionError } from '../../shared/db-errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { InboxService } from '../inbox/inbox.service.ts';
import { ACCESS_CHANNEL, parseAccessChange } from '../auth/access-changes.repository.ts';
import { parseRealtimeNotification, REALTIME_CHANNEL, type RealtimeEntry, type RealtimeLog } from './realtime-log.ts';

/** One event as a Server-Sent Events frame, serialised once however many clients receive it. */
export type RealtimeFrame = { id: number; text: string };

export function toFrame(event: RealtimeEvent): RealtimeFrame {
  return { id: event.id, text: `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n` };
}

export type RealtimeClient = {
  accountId: string;
  /** Whose stream it is: when their access changes (ACCESS_CHANNEL), the stream checks whether it may go on. */
  userId: string;
  /** The session it belongs to (its token's hash), for the per-session cap. */
  sessionKey: string;
  /** The stream it is part of: an "All accounts" stream has a client per account, and the caps count streams. */
  stream?: object;
  recheck(): void;
  /** Ends the stream with a last frame saying why (too many streams: the oldest goes). */
  evict(reason: string): void;
  /**
   * Receives each flush's frames for its account at once, in id order (one socket write per client per flush), with
   * the same frames already encoded as one buffer, shared by every client that has sent none of them yet.
   */
  send(frames: readonly RealtimeFrame[], encoded: Buffer): void;
  /** Ends the stream (server shutdown). */
  end(): void;
};

const FLUSH_MS = 15;
/** Ids per generation of the hub's memory of what it sent (two generations are kept: 5,000 to 10,000 ids). */
const SENT_GENERATION = 5_000;

/**
 * Fans live updates out to the SSE clients of this process. Notifications are gathered for a few milliseconds,
 * their rows read and presented once (not once per client), then written to every client of the account.
 */
export type StreamCaps = { perSession: number; perUser: number };

export function createRealtimeHub(deps: { database: Database; log: RealtimeLog; inbox: InboxService; logger: Logger; caps?: StreamCaps }) {
  const clients = new Map<string, Set<RealtimeClient>>();
  // Announced events waiting for the next flush: their rows, or null where only the id was announced (read then).
  let pending = new Map<number, RealtimeEntry | null>();
  let timer: NodeJS.Timeout | null = null;
  // Flushes run one after another: two at once could finish out of order, and a stream would get a later batch of
  // events before an earlier one.
  let flushing: Promise<void> = Promise.resolve();
  let unlisten: (() => Promise<void>) | null = null;
  let unlistenAccess: (() => Promise<void>) | null = null;
  let highest = 0;
  // Each event goes out once: a catch-up after the listening connection dropped reads events from the log that may
  // also be announced (committed after listening resumed, before the read), or may have been sent by a flush while it
  // ran. The hub remembers the ids it sent recently: one memory for the process, whatever the number of streams.
  const sent = createRecentIds(SENT_GENERATION);
  // every open stream of this process, oldest first (a Set iterates in insertion order), for the caps
  const opened = new Set<RealtimeClient>();

  /** Presents a batch of rows with a few queries per account, however many events it holds. */
  async function present(rows: readonly RealtimeEntry[]): Promise<RealtimeEvent[]> {
    const str = (v: unknown) => (typeof v === 'string' ? v : null);
    const out: RealtimeEvent[] = [];
    for (const [accountId, list] of Map.groupBy(rows, (r) => r.accountId)) {
      const messageIds = [...new Set(list.map((r) => str(r.payload.message_id)).filter((x): x is string => x !== null))];
      const conversationIds = [...new Set(list.map((r) => str(r.payload.conversation_id)).filter((x): x is string => x !== null))];
      let presented: Awaited<ReturnType<InboxService['presentMany']>> = { messages: new Map(), conversations: new Map() };
      try {
        presented = await deps.inbox.presentMany(accountId, messageIds, conversationIds);
      } catch (error) {
        deps.logger.warn({ err: error, accountId }, 'could not present live updates');
      }
      for (const row of list) {
        const conversationId = str(row.payload.conversation_id);
        const messageId = str(row.payload.message_id);
        const live = row.payload.live;
        const data: Record<string, unknown> = { ...(live && typeof live === 'object' && !Array.isArray(live) ? live : {}), occurred_at: row.payload.occurred_at };
        if (messageId) data.message = presented.messages.get(messageId) ?? null;
        if (conversationId) data.conversation = presented.conversations.get(conversationId) ?? null;
        out.push({ id: row.id, type: row.type, account_id: row.accountId, conversation_id: conversationId, message_id: messageId, data });
      }
    }
    return out.sort((a, b) => a.id - b.id);
  }

  async function flush() {
    timer = null;
    const batch = pending;
    pending = new Map();
    if (batch.size === 0) return;
    const unread = [...batch].filter(([, row]) => row === null).map(([id]) => id);
    const rows = [...batch.values()].filter((row): row is RealtimeEntry => row !== null);
    let presentedEvents: RealtimeEvent[];
    try {
      if (unread.length > 0) rows.push(...(await deps.log.byIds(unread)));
      presentedEvents = await present(rows.filter((r) => (clients.get(r.accountId)?.size ?? 0) > 0 && !sent.seen(r.id)));
    } catch (error) {
      // the database is away for a moment: keep the batch for the next flush instead of losing it for open streams
      for (const [id, row] of batch) if (!pending.has(id)) pending.set(id, row);
      if (isConnectionError(error)) setTimeout(schedule, 500).unref();
      throw error;
    }
    const wanted = presentedEvents.filter((e) => sent.firstSight(e.id));
    const byAccount = Map.groupBy(wanted, (e) => e.account_id);
    for (const [accountId, events] of byAccount) {
      const frames = events.map(toFrame);
      const encoded = Buffer.from(frames.map((f) => f.text).join(''));
      for (const client of clients.get(accountId) ?? []) client.send(frames, encoded);
    }
  }

  /** Runs a flush after the ones before it; caught, as a rejected chain would skip every later flush. */
  function chainFlush(): Promise<void> {
    flushing = flushing.then(flush).catch((e: unknown) => deps.logger.warn({ err: e }, 'live update flush failed'));
    return flushing;
  }

  let lastFlushAt = -Infinity; // performance.now(): a wall-clock step cannot hold a flush back
  /**
   * Flushes at most once per FLUSH_MS: at once (the next turn of the event loop, which gathers whatever arrived in
   * this one) when the last flush began longer ago than that, else when that much time has passed since it began.
   * Each notification already carries a processing batch's events, so waiting after a quiet spell only adds delay.
   */
  function schedule() {
    timer ??= setTimeout(
      () => {
        lastFlushAt = performance.now();
        chainFlush();
      },
      Math.min(FLUSH_MS, Math.max(0, lastFlushAt + FLUSH_MS - performance.now())),
    );
  }

  function onNotification(payload: string) {
    const note = parseRealtimeNotification(payload);
    if (!note) return;
    highest = Math.max(highest, ...note.ids);
    if (!clients.has(note.accountId)) return;
    if (note.rows) for (const row of note.rows) pending.set(row.id, row);
    else for (const id of note.ids) if (!pending.get(id)) pending.set(id, null);
    schedule();
  }

  function clientsOf(userId: string | null): RealtimeClient[] {
    return [...clients.values()].flatMap((set) => [...set]).filter((c) => userId === null || c.userId === userId);
  }

  /** A user's access changed somewhere (any process): each of their streams here checks whether it may go on. */
  function onAccessChange(payload: string) {
    const userId = parseAccessChange(payload);
    if (userId) for (const client of clientsOf(userId)) client.recheck();
  }

  async function catchUp() {
    // The listening connection dropped: anything announced meanwhile is read from the log.
    for (const accountId of clients.keys()) {
      for (const row of await deps.log.since(accountId, highest)) pending.set(row.id, row);
    }
    await chainFlush();
  }

  return {
    async start() {
      highest = await deps.log.latestId();
      unlisten = await deps.database.listen(REALTIME_CHANNEL, onNotification, () => void catchUp().catch((e: unknown) => deps.logger.warn({ err: e }, 'could not catch up on live updates after a reconnect')));
      // after a reconnect an announcement may have been missed: every stream checks again
      unlistenAccess = await deps.database.listen(ACCESS_CHANNEL, onAccessChange, () => {
        for (const client of clientsOf(null)) client.recheck();
      });
    },
    async stop() {
      if (timer) clearTimeout(timer);
      for (const set of clients.values()) for (const client of set) client.end();
      clients.clear();
      await unlisten?.();
      unlisten = null;
      await unlistenAccess?.();
      unlistenAccess = null;
    },
    /**
     * Adds a stream; past REALTIME_MAX_STREAMS_PER_SESSION for its session or _PER_USER for its user (in this process),
     * the oldest of them is closed with a message, so a tab left open somewhere cannot pile up connections.
     */
    add(client: RealtimeClient) {
      const set = clients.get(client.accountId) ?? new Set();
      set.add(client);
      clients.set(client.accountId, set);
      if (!deps.caps) return;
      opened.add(client);
      for (const [cap, same, what] of [
        [deps.caps.perSession, (c: RealtimeClient) => c.sessionKey === client.sessionKey, 'session'],
        [deps.caps.perUser, (c: RealtimeClient) => c.userId === client.userId, 'user'],
      ] as const) {
        // oldest first; an evicted stream leaves `opened` at once, so the second cap counts what the first left
        const mine = [...new Set([...opened].filter(same).map((c) => c.stream ?? c))];
        for (const old of mine.slice(0, Math.max(0, mine.length - cap))) {
          [...opened]
            .find((c) => (c.stream ?? c) === old)
            ?.evict(`More than ${cap} live connections for this ${what}: the oldest was closed. Reload the page to reconnect here.`);
        }
      }
    },
    remove(client: RealtimeClient) {
      opened.delete(client);
      const set = clients.get(client.accountId);
      set?.delete(client);
      if (set && set.size === 0) clients.delete(client.accountId);
    },
    /** Events after `afterId` for one account, presented (the `Last-Event-ID` replay). */
    async replay(accountId: string, afterId: number): Promise<RealtimeEvent[]> {
      return present(await deps.log.since(accountId, afterId));
    },
    clientCount: () => [...clients.values()].reduce((n, s) => n + s.size, 0),
  };
}
export type RealtimeHub = ReturnType<typeof createRealtimeHub>;
