import { z } from 'zod';
import type { App } from '../../http/server.ts';
import { requireSession } from '../auth/auth.plugin.ts';
import type { InboxService } from '../inbox/inbox.service.ts';
import { toFrame, type RealtimeFrame, type RealtimeHub } from './realtime-hub.ts';

export type RealtimeRoutesOptions = {
  hub: RealtimeHub;
  inbox: InboxService;
  /** Whether the session behind a stream is still valid (checked at every heartbeat: a logout ends the stream). */
  sessionActive: (tokenHash: string) => Promise<boolean>;
  heartbeatMs: number;
};

/**
 * `GET /api/v1/ui/events`: server-sent events for the session's account (new and changed messages, conversation
 * changes, account status). A reconnecting client sends `Last-Event-ID` and gets what it missed, without duplicates.
 */
export async function realtimeRoutes(app: App, opts: RealtimeRoutesOptions) {
  app.get(
    '/api/v1/ui/events',
    { schema: { querystring: z.object({ last_event_id: z.coerce.number().int().min(0).optional() }) } },
    async (req, reply) => {
      const auth = requireSession(req);
      const accountId = await opts.inbox.accountOf(auth, 'viewer');
      const header = req.headers['last-event-id'];
      const resumeFrom = typeof header === 'string' && /^\d+$/.test(header) ? Number(header) : req.query.last_event_id;

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-content-type-options': 'nosniff',
        'x-request-id': req.id,
      });
      res.write('retry: 3000\n\n');

      // The hub sends each event to a stream once, so only a resume can repeat one: an event both in the replay and
      // announced while the replay was read. The stream remembers the ids it wrote from the replay (and from what was
      // queued during it), at most a replay's worth, and skips those and everything up to the `Last-Event-ID`. It does
      // not skip every id below the highest sent: ids are taken when an event is written, so concurrent writers commit
      // (and announce) them out of order, and an event committed a moment later than a higher id would be lost.
      // (A set of every id sent, as before, grew in step on every stream: a hundred streams resized theirs in the same
      // flush, stalling the process for about 100 ms each time.)
      const floor = resumeFrom ?? 0;
      const replayed = new Set<number>();
      let replaying = true;
      let closed = false;
      const queued: RealtimeFrame[] = [];
      const fresh = (frame: RealtimeFrame) => frame.id > floor && !replayed.has(frame.id);
      const write = (frames: readonly RealtimeFrame[], encoded?: Buffer) => {
        if (closed) return;
        // Usually every frame is new to this stream and the hub's shared encoding is written as it is.
        if (encoded !== undefined && frames.length > 0 && frames.every(fresh)) {
          res.write(encoded);
          return;
        }
        let text = '';
        for (const frame of frames) {
          if (!fresh(frame)) continue;
          if (replaying) replayed.add(frame.id);
          text += frame.text;
        }
        if (text) res.write(text);
      };
      const client = {
        accountId,
        send: (frames: readonly RealtimeFrame[], encoded: Buffer) => (replaying ? queued.push(...frames) : write(frames, encoded)),
        end: () => cleanup(),
      };
      const heartbeat = setInterval(() => {
        if (closed) return;
        res.write(': ping\n\n');
        opts.sessionActive(auth.tokenHash).then(
          (ok) => {
            if (!ok) cleanup();
          },
          () => undefined,
        );
      }, opts.heartbeatMs);
      function cleanup() {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        opts.hub.remove(client);
        res.end();
      }
      req.raw.on('close', cleanup);
      res.on('error', cleanup);

      opts.hub.add(client);
      if (resumeFrom !== undefined) {
        write((await opts.hub.replay(accountId, resumeFrom)).map(toFrame));
      }
      // Still `replaying`: what was queued meanwhile may repeat the replay, and is remembered with it.
      write(queued.splice(0));
      replaying = false;
    },
  );
}
