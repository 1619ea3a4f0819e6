import { routes } from '@threadline/contract';
import { route } from '../../http/route.ts';
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
 * changes, account status), or with `scope=all` for every account the person belongs to. A reconnecting client sends
 * `Last-Event-ID` and gets what it missed, without duplicates.
 */
export async function realtimeRoutes(app: App, opts: RealtimeRoutesOptions) {
  route(app, routes.inbox.ui.events, async (req, reply) => {
    const auth = requireSession(req);
    // `scope=all`: the events of every account the person belongs to ("All accounts"), in one stream
    const accountIds = req.query.scope === 'all' ? await opts.inbox.memberAccounts(auth) : [await opts.inbox.accountOf(auth, 'viewer')];
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
    /**
     * Ends the stream when its access to any of its accounts is gone (an "All accounts" stream then reconnects with
     * the accounts the person still has). A database that cannot answer ends nothing: the heartbeat asks again.
     */
    const recheck = () => {
      Promise.all(accountIds.map((id) => opts.streamAccess(auth.tokenHash, id))).then(
        (accesses) => {
          const now = opts.now().getTime();
          let expiresAt = Number.POSITIVE_INFINITY;
          for (const access of accesses) {
            if (!access || access.expiresAt.getTime() <= now) return void cleanup(accessEndedFrame);
            expiresAt = Math.min(expiresAt, access.expiresAt.getTime());
          }
          if (expiry) clearTimeout(expiry);
          expiry = setTimeout(recheck, Math.min(expiresAt - now + 50, 2 ** 31 - 1));
          expiry.unref();
        },
        () => undefined,
      );
    };
    // one client per account of the stream (an "All accounts" stream has several); the caps count streams
    const stream = {};
    const clients = accountIds.map((accountId) => ({
      accountId,
      userId: auth.userId,
      sessionKey: auth.tokenHash,
      stream,
      send: writer.live,
      end: () => cleanup(),
      recheck,
      evict: (reason: string) => cleanup(`event: stream_closed\ndata: ${JSON.stringify({ reason })}\n\n`),
    }));
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
      for (const client of clients) opts.hub.remove(client);
      if (lastFrame) res.write(lastFrame);
      res.end();
    }
    req.raw.on('close', () => cleanup());
    res.on('error', () => cleanup());

    for (const client of clients) opts.hub.add(client);
    // its expiry, and a change that landed between the access check above and joining the hub
    recheck();
    try {
      const missed = resumeFrom === undefined ? [] : (await Promise.all(accountIds.map((id) => opts.hub.replay(id, resumeFrom)))).flat();
      writer.replayed(missed.sort((a, b) => a.id - b.id).map(toFrame));
    } catch (error) {
      // The stream ends; the browser reconnects after `retry` with the same Last-Event-ID, and nothing is lost.
      req.log.warn({ err: error }, 'could not replay live updates; ending the stream');
      cleanup();
    }
  });
}
