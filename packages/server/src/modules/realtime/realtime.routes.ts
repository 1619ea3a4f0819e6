import { z } from 'zod';
import type { App } from '../../http/server.ts';
import { requireSession } from '../auth/auth.plugin.ts';
import type { InboxService } from '../inbox/inbox.service.ts';
import { toFrame, type RealtimeFrame, type RealtimeHub } from './realtime-hub.ts';

/** How many sent ids a stream remembers to skip duplicates (far more than any flush or replay holds). */
const SENT_IDS_KEPT = 10_000;

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

      // Ids are taken when an event is written, so concurrent writers may commit (and announce) them out of order:
      // a stream skips the ids it has sent (and those up to the Last-Event-ID it resumed from), not every id below
      // the highest one, or an event committed a moment later than a higher id would never reach it.
      const floor = resumeFrom ?? 0;
      const sent = new Set<number>();
      let replaying = true;
      let closed = false;
      const queued: RealtimeFrame[] = [];
      const fresh = (frame: RealtimeFrame) => frame.id > floor && !sent.has(frame.id);
      const write = (frames: readonly RealtimeFrame[], encoded?: Buffer) => {
        if (closed) return;
        // Usually every frame is new to this stream and the hub's shared encoding is written as it is.
        const whole = encoded !== undefined && frames.length > 0 && frames.every(fresh);
        let text = '';
        for (const frame of frames) {
          if (!fresh(frame)) continue;
          sent.add(frame.id);
          if (sent.size > SENT_IDS_KEPT) sent.delete(sent.values().next().value ?? 0);
          if (!whole) text += frame.text;
        }
        if (whole) res.write(encoded);
        else if (text) res.write(text);
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
      replaying = false;
      write(queued.splice(0));
    },
  );
}
