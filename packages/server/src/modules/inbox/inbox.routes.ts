import { routes } from '@threadline/contract';
import type { App } from '../../http/server.ts';
import { route } from '../../http/route.ts';
import { authOf } from '../auth/auth.plugin.ts';
import type { InboxService } from './inbox.service.ts';

/** Reading the inbox: `/api/v1/ui/…` for the web app (session), `/api/v1/…` for a CRM (API key, conversations:read). */
export async function inboxRoutes(app: App, opts: { inbox: InboxService }) {
  const { inbox } = opts;
  const { ui, api } = routes.inbox;
  for (const def of [ui.listConversations, api.listConversations]) {
    route(app, def, async (req) => inbox.listConversations(authOf(req), req.query));
  }
  for (const def of [ui.getConversation, api.getConversation]) {
    route(app, def, async (req) => inbox.getConversation(authOf(req), req.params.id));
  }
  for (const def of [ui.listMessages, api.listMessages]) {
    route(app, def, async (req) => inbox.listMessages(authOf(req), req.params.id, req.query));
  }
  route(app, ui.unread, async (req) => inbox.unreadCounts(authOf(req)));
  route(app, ui.markRead, async (req) => inbox.markRead(authOf(req), req.params.id));
}
