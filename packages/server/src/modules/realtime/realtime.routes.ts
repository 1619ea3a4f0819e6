import { z } from 'zod';
import type { App } from '../../http/server.ts';
import { requireSession } from '../auth/auth.plugin.ts';
import type { InboxService } from '../inbox/inbox.service.ts';
import { toFrame, type RealtimeHub } from './realtime-hub.ts';
import { createStreamWriter } from './realtime-stream.ts';

export type RealtimeRoutesOptions = {
  hub: RealtimeHub;
  inbox: InboxService;
  /**
   * Whether a stream may go on: its session not ended, its user not disabled, still a member of the account; and when
   * the session expires. Checked when the stream opens, at every heartbeat, and whenever the user's access changes.
   */
  streamAccess: (tokenHash: string, accountId: string) => Promise<{ expiresAt: Date } | null>;
  heartbeatMs: number;
  now: () => Date;
};

/** The last frame of a stream whose access ended; the web app signs out or reloads its accounts on it. */
const accessEndedFrame = `event: access_ended\ndata: ${JSON.stringify({ reason: 'Your access to this account ended (removed, signed out or expired).' })}\n\n`;

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

      let closed = false;
      let expiry: NodeJS.Timeout | null = null;
      const writer = createStreamWriter(resumeFrom ?? 0, (chunk) => {
        if (!closed) res.write(chunk);
      });
      /** Ends the stream when its access is gone (a database that cannot answer ends nothing: the heartbeat asks again). */
      const recheck = () => {
        opts.streamAccess(auth.tokenHash, accountId).then(
          (access) => {
            if (!access || access.expiresAt.getTime() <= opts.now().getTime()) return void cleanup(accessEndedFrame);
            if (expiry) clearTimeout(expiry);
            expiry = setTimeout(recheck, Math.min(access.expiresAt.getTime() - opts.now().getTime() + 50, 2 ** 31 - 1));
            expiry.unref();
          },
          () => undefined,
        );
      };
      const client = {
        accountId,
        userId: auth.userId,
        sessionKey: auth.tokenHash,
        send: writer.live,
        end: () => cleanup(),
        recheck,
        evict: (reason: string) => cleanup(`event: stream_closed\ndata: ${JSON.stringify({ reason })}\n\n`),
      };
      const heartbeat = setInterval(() => {
        if (closed) return;
        res.write(': ping\n\n');
        recheck();
      }, opts.heartbeatMs);
      function cleanup(lastFrame?: string) {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        if (expiry) clearTimeout(expiry);
        opts.hub.remove(client);
        if (lastFrame) res.write(lastFrame);
        res.end();
      }
      req.raw.on('close', () => cleanup());
      res.on('error', () => cleanup());

      opts.hub.add(client);
      // its expiry, and a change that landed between the access check above and joining the hub
      recheck();
      try {
        writer.replayed(resumeFrom === undefined ? [] : (await opts.hub.replay(accountId, resumeFrom)).map(toFrame));
      } catch (error) {
        // The stream ends; the browser reconnects after `retry` with the same Last-Event-ID, and nothing is lost.
        req.log.warn({ err: error }, 'could not replay live updates; ending the stream');
        cleanup();
      }
    },
  );
}
