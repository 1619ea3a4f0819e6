import type { Db } from '../../db/client.ts';
import type { InboxEventSink } from '../../events/inbox-events.ts';
import { createRealtimeLogRepository, REALTIME_CHANNEL, type RealtimeRow } from './realtime-log.repository.ts';

export { REALTIME_CHANNEL, type RealtimeRow };
/** What presenting an event needs of its row (a notification carries exactly this). */
export type RealtimeEntry = Pick<RealtimeRow, 'id' | 'accountId' | 'type' | 'payload'>;

/**
 * A notification on `REALTIME_CHANNEL`: the account and its rows, or, from a process of an earlier version, the
 * account and only the ids (`<account>:<id>,<id>`; the rows are then read). Anything else is null.
 */
export function parseRealtimeNotification(text: string): { accountId: string; ids: number[]; rows: RealtimeEntry[] | null } | null {
  const isId = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n > 0;
  if (text.startsWith('{')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return null;
    }
    if (!value || typeof value !== 'object' || !('a' in value) || !('e' in value)) return null;
    const { a: accountId, e: list } = value;
    if (typeof accountId !== 'string' || !Array.isArray(list)) return null;
    const rows: RealtimeEntry[] = [];
    for (const item of list) {
      if (!Array.isArray(item)) return null;
      const [id, type, payload] = item as unknown[];
      if (!isId(id) || typeof type !== 'string' || !payload || typeof payload !== 'object' || Array.isArray(payload)) return null;
      rows.push({ id, accountId, type, payload: payload as Record<string, unknown> });
    }
    return rows.length > 0 ? { accountId, ids: rows.map((r) => r.id), rows } : null;
  }
  const [accountId, rawIds] = text.split(':');
  const ids = (rawIds ?? '').split(',').map(Number).filter(isId);
  return accountId && ids.length > 0 ? { accountId, ids, rows: null } : null;
}

/**
 * The live-update log: every inbox change is appended inside its own transaction and announced with NOTIFY
 * (delivered at commit, to every Threadline process). Rows are kept briefly so a client can resume from
 * `Last-Event-ID` after a reconnect.
 */
export function createRealtimeLog(db: Db) {
  const repo = createRealtimeLogRepository(db);
  // A unit of work's events are written at its end: one insert and one NOTIFY per account (see the repository).
  const sink: InboxEventSink = {
    async write(uow, events) {
      await repo.insert(
        uow.tx,
        events.map((event) => {
          const payload: Record<string, unknown> = {
            conversation_id: 'conversationId' in event ? event.conversationId : null,
            message_id: 'messageId' in event ? event.messageId : null,
            occurred_at: event.occurredAt.toISOString(),
          };
          if ('live' in event && event.live) payload.live = event.live;
          return { accountId: event.accountId, type: event.type, payload };
        }),
      );
    },
  };
  return { sink, since: repo.since, byIds: repo.byIds, latestId: repo.latestId, prune: repo.prune };
}
export type RealtimeLog = ReturnType<typeof createRealtimeLog>;
