import { createRecentIds, realtimeEventSchema, routes, type RealtimeEvent } from '@threadline/contract';
import { urlOf } from './call.ts';

export type LiveStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

export type LiveConnection = { close(): void };

export type LiveOptions = {
  url?: string;
  onEvent(event: RealtimeEvent): void;
  onStatus(status: LiveStatus): void;
  /** Each time the stream opens: callers refresh what they show (changes made before it opened reached no stream). */
  onResync(): void;
  /**
   * The server ended the stream because the user's access to the account ended (removed, signed out, disabled,
   * session expired): the stream is not reopened; the caller finds out where the user stands.
   */
  onAccessEnded?(): void;
  /** The server closed this stream for a newer one (too many open): not reopened, or two tabs would take turns. */
  onStreamClosed?(reason: string): void;
  /** The EventSource constructor (tests pass a fake). */
  EventSourceImpl?: typeof EventSource;
};

/** Ids per generation of the stream's memory of events seen (two are kept: 2,000 to 4,000 ids). */
const SEEN_GENERATION = 2_000;

const EVENT_TYPES = [
  'message.received',
  'message.sent',
  'message.updated',
  'message.deleted',
  'message.status',
  'reaction.added',
  'reaction.removed',
  'conversation.created',
  'conversation.labels_changed',
  'conversation.updated',
  'conversation.read',
  'conversation.status_changed',
  'conversation.assigned',
  'note.created',
  'note.updated',
  'note.deleted',
  'note.mentioned',
  'presence.updated',
  'account.connected',
  'account.reauth_required',
  'account.disconnected',
];

/**
 * The live-update stream (`GET /api/v1/ui/events`). The browser's EventSource resumes with Last-Event-ID by itself;
 * when the stream is closed for good (server restart, session switch), we open a new one after a back-off and ask
 * the caller to resync. An event already seen is dropped, so a replay never shows twice. Not every event at or below
 * the highest id seen: two writers can commit events out of id order, and the later-committed, lower id then arrives
 * after the higher one; it is new, and dropping it would lose a message until the next resync.
 */
export function connectLiveEvents(opts: LiveOptions): LiveConnection {
  const Impl = opts.EventSourceImpl ?? EventSource;
  const url = opts.url ?? urlOf(routes.inbox.ui.events, {});
  let source: EventSource | null = null;
  let lastId = 0; // the highest id seen: where a new stream resumes
  // Ids seen lately: a replay repeats at most what came since the Last-Event-ID the browser sent, far fewer events
  // than a generation holds.
  const seen = createRecentIds(SEEN_GENERATION);
  let closed = false;
  let attempts = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const handle = (raw: MessageEvent<string>) => {
    let json: unknown;
    try {
      json = JSON.parse(raw.data);
    } catch {
      return;
    }
    const parsed = realtimeEventSchema.safeParse(json);
    if (!parsed.success) return;
    if (!seen.firstSight(parsed.data.id)) return;
    lastId = Math.max(lastId, parsed.data.id);
    opts.onEvent(parsed.data);
  };

  const open = (resync: boolean) => {
    if (closed) return;
    opts.onStatus(resync ? 'reconnecting' : 'connecting');
    // A new stream resumes after the last event seen (the server also reads ?last_event_id=).
    const es = new Impl(resync && lastId > 0 ? `${url}${url.includes('?') ? '&' : '?'}last_event_id=${lastId}` : url, { withCredentials: true });
    source = es;
    es.onopen = () => {
      attempts = 0;
      opts.onStatus('open');
      // Whatever changed between the caller's last load and this moment reached no stream: catch up once.
      opts.onResync();
    };
    es.onmessage = handle;
    for (const type of EVENT_TYPES) es.addEventListener(type, handle);
    es.addEventListener('access_ended', () => {
      closed = true;
      es.close();
      opts.onStatus('closed');
      opts.onAccessEnded?.();
    });
    es.addEventListener('stream_closed', (e: MessageEvent<string>) => {
      closed = true;
      es.close();
      opts.onStatus('closed');
      let reason = 'This live connection was closed.';
      try {
        const data: unknown = JSON.parse(e.data);
        if (typeof data === 'object' && data !== null && 'reason' in data && typeof data.reason === 'string') reason = data.reason;
      } catch {
        // the default reason
      }
      opts.onStreamClosed?.(reason);
    });
    es.onerror = () => {
      if (closed) return;
      if (es.readyState === Impl.CLOSED) {
        opts.onStatus('reconnecting');
        attempts += 1;
        const delay = Math.min(30_000, 1000 * 2 ** Math.min(attempts, 5));
        timer = setTimeout(() => open(true), delay);
      } else {
        opts.onStatus('reconnecting');
      }
    };
  };
  open(false);

  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      source?.close();
      opts.onStatus('closed');
    },
  };
}
