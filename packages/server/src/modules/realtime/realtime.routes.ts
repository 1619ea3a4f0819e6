import { z } from 'zod';
import { inboxScopeSchema } from '@threadline/contract';
import type { App } from '../../http/server.ts';
import { requireSession } from '../auth/auth.plugin.ts';
import type { InboxService } from '../inbox/inbox.service.ts';
import { toFrame, type RealtimeHub } from './realtime-hub.ts';
import { createStreamWriter } from './realtime-stream.ts';

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
    {
      config: { auth: 'session' },
      schema: { querystring: z.object({ last_event_id: z.coerce.number().int().min(0).optional(), scope: inboxScopeSchema.default('account') }) },
    },
    async (req, reply) => {
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
      const writer = createStreamWriter(resumeFrom ?? 0, (chunk) => {
        if (!closed) res.write(chunk);
      });
      const clients = accountIds.map((accountId) => ({ accountId, send: writer.live, end: () => cleanup() }));
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
        for (const client of clients) opts.hub.remove(client);
        res.end();
      }
      req.raw.on('close', cleanup);
      res.on('error', cleanup);

      for (const client of clients) opts.hub.add(client);
      try {
        const missed = resumeFrom === undefined ? [] : (await Promise.all(accountIds.map((id) => opts.hub.replay(id, resumeFrom)))).flat();
        writer.replayed(missed.sort((a, b) => a.id - b.id).map(toFrame));
      } catch (error) {
        // The stream ends; the browser reconnects after `retry` with the same Last-Event-ID, and nothing is lost.
        req.log.warn({ err: error }, 'could not replay live updates; ending the stream');
        cleanup();
      }
    },
  );
}
